// open_storage: picks the back end from the URL; and the helpers both back ends share.
#include "actlab/study/storage.hpp"

#include <algorithm>
#include <cctype>

#include "actlab/error.hpp"
#include "study/storage_schema.hpp"

namespace actlab::study {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::unique_ptr<Storage> open_storage(const std::string& url) {
  if (url.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "empty storage URL; give a file path, sqlite:///file.db or postgresql://...");
  }
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return detail::open_sqlite_storage(url, url);

  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // SQLAlchemy spells a driver after '+' ("postgresql+psycopg2://"); libpq needs none.
  const std::string base = scheme.substr(0, scheme.find('+'));
  if (base == "sqlite") {
    // SQLAlchemy's forms: sqlite:///relative.db and sqlite:////absolute.db, i.e. the path
    // is what follows "sqlite:///".
    std::string path = url.substr(scheme_end + 3);
    if (!starts_with(path, "/") || path.size() == 1) {
      throw Error(ErrorCode::kInvalidArgument,
                  "SQLite URL '" + url + "' names no file; use sqlite:///relative.db or "
                  "sqlite:////absolute/path.db (in-memory databases cannot be shared)");
    }
    path.erase(0, 1);
    return detail::open_sqlite_storage(path, url);
  }
  if (base == "postgresql" || base == "postgres") {
    // libpq reads both spellings itself; only a SQLAlchemy driver suffix must go.
    return detail::open_postgres_storage(
        scheme.find('+') == std::string::npos ? url : "postgresql" + url.substr(scheme_end),
        url);
  }
  throw Error(ErrorCode::kInvalidArgument,
              "unknown storage scheme '" + scheme + "' in '" + detail::redact_url(url) +
                  "'; use a file path, sqlite:///file.db or postgresql://user@host/database");
}

namespace detail {

std::string redact_url(const std::string& url) {
  std::string out = url;
  // user:password@host
  const std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = out.find_first_of("/?", authority);
    const std::size_t at = out.rfind('@', authority_end == std::string::npos ? out.size()
                                                                              : authority_end);
    if (at != std::string::npos && at >= authority) {
      const std::size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... as a query parameter or a key=value conninfo word
  for (std::size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const std::size_t value = pos + 9;
    const std::size_t end = out.find_first_of("& ", value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

void check_meta(const std::map<std::string, std::string>& meta, const std::string& where) {
  const auto format = meta.find("format");
  if (format == meta.end() || format->second != kFormatName) {
    throw Error(ErrorCode::kCorruptData,
                where + " is not an actlab study database (its meta table has format '" +
                    (format == meta.end() ? std::string() : format->second) + "', expected '" +
                    kFormatName + "')");
  }
  const auto version = meta.find("schema_version");
  int v = 0;
  try {
    v = version == meta.end() ? 0 : std::stoi(version->second);
  } catch (const std::exception&) {
    v = 0;
  }
  if (v > kSchemaVersion) {
    throw Error(ErrorCode::kCorruptData,
                where + " has study schema version " + std::to_string(v) +
                    ", newer than this actlab reads (" + std::to_string(kSchemaVersion) +
                    "); use a newer actlab");
  }
  if (v < 1) {
    throw Error(ErrorCode::kCorruptData,
                where + " has an invalid study schema version '" +
                    (version == meta.end() ? std::string("(missing)") : version->second) + "'");
  }
}

void TrialAssembler::add_trial(Trial trial) {
  index_[trial.number] = trials_.size();
  trials_.push_back(std::move(trial));
}

Trial* TrialAssembler::find(std::int64_t number) {
  const auto it = index_.find(number);
  return it == index_.end() ? nullptr : &trials_[it->second];
}

void TrialAssembler::add_param(std::int64_t number, const std::string& name, double value) {
  if (Trial* t = find(number)) t->params[name] = value;
}

void TrialAssembler::add_intermediate(std::int64_t number, std::int64_t step, double value) {
  if (Trial* t = find(number)) t->intermediate[step] = value;
}

void TrialAssembler::add_attribute(std::int64_t number, const std::string& key,
                                   const std::string& value) {
  if (Trial* t = find(number)) t->attributes[key] = value;
}

std::vector<Trial> TrialAssembler::take() {
  std::sort(trials_.begin(), trials_.end(),
            [](const Trial& a, const Trial& b) { return a.number < b.number; });
  index_.clear();
  return std::move(trials_);
}

}  // namespace detail
std::string redacted_url(const std::string& url) { return detail::redact_url(url); }

}  // namespace actlab::study
