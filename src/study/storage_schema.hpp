// Private to the study storages: the schema's identity, the back-end factories, and the
// pieces both back ends share (docs/formats.md, "Study storage").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actlab/study/storage.hpp"

namespace actlab::study::detail {

// The meta table holds ("format", kFormatName) and ("schema_version", "1"). Any change to
// the tables or to how values are encoded must increase kSchemaVersion.
inline constexpr const char* kFormatName = "actlab-study";
inline constexpr int kSchemaVersion = 1;
// The tables of schema 1, in both back ends (meta first: it marks a database as ours).
inline const std::vector<std::string>& schema_tables() {
  static const std::vector<std::string> tables = {
      "meta", "studies", "trials", "trial_params", "trial_intermediate", "trial_attributes"};
  return tables;
}

std::unique_ptr<Storage> open_sqlite_storage(const std::string& path, const std::string& url);
// `conninfo` goes to libpq; url() answers `url` (what the caller gave).
std::unique_ptr<Storage> open_postgres_storage(const std::string& conninfo,
                                               const std::string& url);

// The URL with its password (user:PASSWORD@ and password=… query parameters) replaced by
// "***", for error messages.
std::string redact_url(const std::string& url);

// Checks the meta table's rows; Error kCorruptData naming `where` when the format is not ours
// or the schema is newer than this build reads.
void check_meta(const std::map<std::string, std::string>& meta, const std::string& where);

// Builds Trial objects from the rows of the four trial tables, read in any order after the
// trial rows themselves. Rows of unknown trials are ignored (they cannot occur: same
// transaction).
class TrialAssembler {
 public:
  void add_trial(Trial trial);
  void add_param(std::int64_t number, const std::string& name, double value);
  void add_intermediate(std::int64_t number, std::int64_t step, double value);
  void add_attribute(std::int64_t number, const std::string& key, const std::string& value);
  std::vector<Trial> take();  // in number order

 private:
  Trial* find(std::int64_t number);
  std::vector<Trial> trials_;
  std::map<std::int64_t, std::size_t> index_;
};

}  // namespace actlab::study::detail
