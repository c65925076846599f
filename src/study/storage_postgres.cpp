// The PostgreSQL study storage (libpq): the shared store for workers on several machines.
// Same tables and encodings as the SQLite storage (docs/formats.md); times come from the
// server's clock so that machines with skewed clocks agree on heartbeats.
#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "actlab/error.hpp"
#include "study/storage_schema.hpp"

namespace actlab::study::detail {
namespace {

// Serialises the first opens of concurrent workers (any constant; "actlab" in ASCII).
constexpr const char* kSchemaLockKey = "418279874914";  // 0x61636c6162
constexpr const char* kNow = "extract(epoch from clock_timestamp())::float8";

// As in SQLite (one encoding for both): trial_intermediate.value NULL = NaN, and
// trials.value_nan = 1 marks a NaN objective value.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies(id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                                   config_json TEXT NOT NULL,
                                   created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS trials(study_id BIGINT NOT NULL REFERENCES studies(id),
                                  number BIGINT NOT NULL, state TEXT NOT NULL,
                                  value DOUBLE PRECISION, value_nan INTEGER NOT NULL DEFAULT 0,
                                  started_at DOUBLE PRECISION NOT NULL,
                                  finished_at DOUBLE PRECISION,
                                  heartbeat_at DOUBLE PRECISION NOT NULL,
                                  PRIMARY KEY(study_id, number));
CREATE INDEX IF NOT EXISTS trials_by_state ON trials(study_id, state);
CREATE TABLE IF NOT EXISTS trial_params(study_id BIGINT NOT NULL, number BIGINT NOT NULL,
    name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, PRIMARY KEY(study_id, number, name),
    FOREIGN KEY(study_id, number) REFERENCES trials(study_id, number));
CREATE TABLE IF NOT EXISTS trial_intermediate(study_id BIGINT NOT NULL, number BIGINT NOT NULL,
    step BIGINT NOT NULL, value DOUBLE PRECISION, PRIMARY KEY(study_id, number, step),
    FOREIGN KEY(study_id, number) REFERENCES trials(study_id, number));
CREATE TABLE IF NOT EXISTS trial_attributes(study_id BIGINT NOT NULL, number BIGINT NOT NULL,
    key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(study_id, number, key),
    FOREIGN KEY(study_id, number) REFERENCES trials(study_id, number));
)sql";

using Param = std::optional<std::string>;  // std::nullopt = SQL NULL

// Shortest text that reads back as the same double (PostgreSQL's own float8 output is
// shortest-exact too, with extra_float_digits > 0).
std::string double_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

double parse_double(const char* text) { return std::strtod(text, nullptr); }

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

void ignore_notice(void*, const char*) {}  // "relation already exists, skipping" etc.

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(const std::string& conninfo, std::string url);
  ~PostgresStorage() override { PQfinish(conn_); }
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  StudyRecord open_study(const std::string& name, const std::string& config_json,
                         bool* created) override;
  std::optional<StudyRecord> find_study(const std::string& name) override;
  std::vector<StudyRecord> studies() override;
  std::optional<std::int64_t> create_trial(
      std::int64_t study_id, std::size_t target,
      const std::map<std::string, std::string>& attributes) override;
  void set_param(std::int64_t study_id, std::int64_t number, const std::string& name,
                 double internal_value) override;
  void set_attribute(std::int64_t study_id, std::int64_t number, const std::string& key,
                     const std::string& value) override;
  void report(std::int64_t study_id, std::int64_t number, std::int64_t step,
              double value) override;
  void heartbeat(std::int64_t study_id, std::int64_t number) override;
  bool finish_trial(std::int64_t study_id, std::int64_t number, TrialState state,
                    std::optional<double> value) override;
  std::vector<std::int64_t> fail_stale_trials(std::int64_t study_id,
                                              double grace_seconds) override;
  std::vector<Trial> trials(std::int64_t study_id) override;
  double now() override;
  std::string url() const override { return url_; }

 private:
  // BEGIN (READ COMMITTED) … COMMIT; rolls back unless committed.
  class Transaction {
   public:
    explicit Transaction(PostgresStorage& s, const char* begin = "BEGIN") : s_(s) {
      s_.exec(begin, {});
    }
    ~Transaction() {
      if (!done_) PQclear(PQexec(s_.conn_, "ROLLBACK"));
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      s_.exec("COMMIT", {});
      done_ = true;
    }

   private:
    PostgresStorage& s_;
    bool done_ = false;
  };

  Result exec(const char* sql, const std::vector<Param>& params);
  void create_or_check_schema();
  void require_trial(std::int64_t study_id, std::int64_t number);
  static StudyRecord study_row(const PGresult* r, int row);

  std::string url_;
  std::string where_;  // the redacted URL, for messages
  PGconn* conn_ = nullptr;
};

PostgresStorage::PostgresStorage(const std::string& conninfo, std::string url)
    : url_(std::move(url)), where_("PostgreSQL study database '" + redact_url(url_) + "'") {
  // A 10 s connect timeout unless the URL sets one (later keywords override earlier ones).
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"10", conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    PQfinish(conn_);
    conn_ = nullptr;
    throw Error(ErrorCode::kIo, "cannot connect to " + where_ + ": " + redact_url(message));
  }
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  try {
    // Shortest-exact float output whatever the server's default (exact round trips).
    exec("SET extra_float_digits = 3", {});
    create_or_check_schema();
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

Result PostgresStorage::exec(const char* sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  Result r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    // Class 22 (data exception) / 23 (integrity) are the caller's values; the rest is the
    // server or the connection.
    const bool data = state != nullptr && (state[0] == '2' && (state[1] == '2' || state[1] == '3'));
    throw Error(data ? ErrorCode::kInvalidArgument : ErrorCode::kIo,
                where_ + ": " + message);
  }
  return r;
}

void PostgresStorage::create_or_check_schema() {
  Transaction tx(*this);
  // Concurrent first opens would race on CREATE TABLE IF NOT EXISTS (a unique violation in
  // the catalogue); the transaction-scoped advisory lock queues them.
  exec((std::string("SELECT pg_advisory_xact_lock(") + kSchemaLockKey + ")").c_str(), {});
  std::set<std::string> present;
  {
    Result r = exec("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema()", {});
    for (int i = 0; i < PQntuples(r.get()); ++i) present.insert(PQgetvalue(r.get(), i, 0));
  }
  if (present.count("meta") == 0) {
    // Refuse to mix our tables into another application's (e.g. Optuna's "studies").
    for (const std::string& table : schema_tables()) {
      if (present.count(table) != 0) {
        throw Error(ErrorCode::kCorruptData,
                    where_ + " is not an actlab study database (it has a '" + table +
                        "' table but no 'meta' table)");
      }
    }
    // Several statements: PQexec (PQexecParams takes exactly one).
    Result created(PQexec(conn_, kSchemaSql));
    if (!created || PQresultStatus(created.get()) != PGRES_COMMAND_OK) {
      throw Error(ErrorCode::kIo, where_ + ": creating the tables: " +
                                      (created ? PQresultErrorMessage(created.get())
                                               : PQerrorMessage(conn_)));
    }
    exec("INSERT INTO meta(key, value) VALUES ('format', $1), ('schema_version', $2)",
         {std::string(kFormatName), std::to_string(kSchemaVersion)});
  } else {
    std::map<std::string, std::string> meta;
    Result r = exec("SELECT key, value FROM meta", {});
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      meta[PQgetvalue(r.get(), i, 0)] = PQgetvalue(r.get(), i, 1);
    }
    check_meta(meta, where_);
    for (const std::string& table : schema_tables()) {
      if (present.count(table) == 0) {
        throw Error(ErrorCode::kCorruptData, where_ + " lacks its '" + table + "' table");
      }
    }
  }
  tx.commit();
}

StudyRecord PostgresStorage::study_row(const PGresult* r, int row) {
  StudyRecord s;
  s.id = std::strtoll(PQgetvalue(r, row, 0), nullptr, 10);
  s.name = PQgetvalue(r, row, 1);
  s.config_json = PQgetvalue(r, row, 2);
  s.created_at = parse_double(PQgetvalue(r, row, 3));
  return s;
}

StudyRecord PostgresStorage::open_study(const std::string& name, const std::string& config_json,
                                        bool* created) {
  // ON CONFLICT DO NOTHING: of concurrent creators exactly one inserts; the others read.
  Result inserted = exec((std::string("INSERT INTO studies(name, config_json, created_at) "
                                      "VALUES ($1, $2, ") + kNow +
                          ") ON CONFLICT (name) DO NOTHING "
                          "RETURNING id, name, config_json, created_at").c_str(),
                         {name, config_json});
  if (created != nullptr) *created = PQntuples(inserted.get()) == 1;
  if (PQntuples(inserted.get()) == 1) return study_row(inserted.get(), 0);
  std::optional<StudyRecord> found = find_study(name);
  if (!found) {
    throw Error(ErrorCode::kIo, where_ + ": study '" + name + "' vanished while opening it");
  }
  return *found;
}

std::optional<StudyRecord> PostgresStorage::find_study(const std::string& name) {
  Result r = exec("SELECT id, name, config_json, created_at FROM studies WHERE name = $1",
                  {name});
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return study_row(r.get(), 0);
}

std::vector<StudyRecord> PostgresStorage::studies() {
  Result r = exec("SELECT id, name, config_json, created_at FROM studies ORDER BY id", {});
  std::vector<StudyRecord> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(study_row(r.get(), i));
  return out;
}

std::optional<std::int64_t> PostgresStorage::create_trial(
    std::int64_t study_id, std::size_t target,
    const std::map<std::string, std::string>& attributes) {
  Transaction tx(*this);
  const std::string id = std::to_string(study_id);
  // Locking the study row queues concurrent creators; under READ COMMITTED each later
  // statement sees every trial committed before the lock was granted, so the count is
  // exact and numbers are unique and gapless.
  if (PQntuples(exec("SELECT id FROM studies WHERE id = $1 FOR UPDATE", {id}).get()) == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "no study with id " + id + " in " + where_);
  }
  if (target > 0) {
    Result active = exec("SELECT COUNT(*) FROM trials WHERE study_id = $1 "
                         "AND state IN ('RUNNING', 'COMPLETE', 'PRUNED')", {id});
    if (std::strtoll(PQgetvalue(active.get(), 0, 0), nullptr, 10) >=
        static_cast<long long>(target)) {
      tx.commit();
      return std::nullopt;
    }
  }
  Result inserted = exec((std::string("INSERT INTO trials(study_id, number, state, started_at, "
                                      "heartbeat_at) SELECT $1, COUNT(*), 'RUNNING', ") +
                          kNow + ", " + kNow +
                          " FROM trials WHERE study_id = $1 RETURNING number").c_str(),
                         {id});
  const std::int64_t number = std::strtoll(PQgetvalue(inserted.get(), 0, 0), nullptr, 10);
  for (const auto& [key, value] : attributes) {
    exec("INSERT INTO trial_attributes(study_id, number, key, value) VALUES ($1, $2, $3, $4)",
         {id, std::to_string(number), key, value});
  }
  tx.commit();
  return number;
}

void PostgresStorage::require_trial(std::int64_t study_id, std::int64_t number) {
  Result r = exec("SELECT 1 FROM trials WHERE study_id = $1 AND number = $2",
                  {std::to_string(study_id), std::to_string(number)});
  if (PQntuples(r.get()) == 0) {
    throw Error(ErrorCode::kInvalidArgument, "no trial " + std::to_string(number) +
                                                 " in study " + std::to_string(study_id) +
                                                 " of " + where_);
  }
}

void PostgresStorage::set_param(std::int64_t study_id, std::int64_t number,
                                const std::string& name, double internal_value) {
  if (std::isnan(internal_value)) {
    throw Error(ErrorCode::kInvalidParameter, "parameter '" + name + "' of trial " +
                                                  std::to_string(number) + " is NaN");
  }
  Transaction tx(*this);
  require_trial(study_id, number);
  exec("INSERT INTO trial_params(study_id, number, name, value) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT (study_id, number, name) DO UPDATE SET value = excluded.value",
       {std::to_string(study_id), std::to_string(number), name, double_text(internal_value)});
  tx.commit();
}

void PostgresStorage::set_attribute(std::int64_t study_id, std::int64_t number,
                                    const std::string& key, const std::string& value) {
  Transaction tx(*this);
  require_trial(study_id, number);
  exec("INSERT INTO trial_attributes(study_id, number, key, value) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT (study_id, number, key) DO UPDATE SET value = excluded.value",
       {std::to_string(study_id), std::to_string(number), key, value});
  tx.commit();
}

void PostgresStorage::report(std::int64_t study_id, std::int64_t number, std::int64_t step,
                             double value) {
  Transaction tx(*this);
  require_trial(study_id, number);
  const std::string id = std::to_string(study_id);
  const std::string n = std::to_string(number);
  exec("INSERT INTO trial_intermediate(study_id, number, step, value) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT (study_id, number, step) DO UPDATE SET value = excluded.value",
       {id, n, std::to_string(step), std::isnan(value) ? Param() : Param(double_text(value))});
  exec((std::string("UPDATE trials SET heartbeat_at = ") + kNow +
        " WHERE study_id = $1 AND number = $2 AND state = 'RUNNING'").c_str(),
       {id, n});
  tx.commit();
}

void PostgresStorage::heartbeat(std::int64_t study_id, std::int64_t number) {
  Transaction tx(*this);
  require_trial(study_id, number);
  exec((std::string("UPDATE trials SET heartbeat_at = ") + kNow +
        " WHERE study_id = $1 AND number = $2 AND state = 'RUNNING'").c_str(),
       {std::to_string(study_id), std::to_string(number)});
  tx.commit();
}

bool PostgresStorage::finish_trial(std::int64_t study_id, std::int64_t number,
                                   TrialState state, std::optional<double> value) {
  if (state == TrialState::kRunning) {
    throw Error(ErrorCode::kInvalidArgument, "finish_trial needs COMPLETE, PRUNED or FAIL");
  }
  Transaction tx(*this);
  require_trial(study_id, number);
  const bool nan = value.has_value() && std::isnan(*value);
  Result r = exec((std::string("UPDATE trials SET state = $3, value = $4, value_nan = $5, "
                               "finished_at = ") + kNow +
                   " WHERE study_id = $1 AND number = $2 AND state = 'RUNNING'").c_str(),
                  {std::to_string(study_id), std::to_string(number), state_name(state),
                   value.has_value() && !nan ? Param(double_text(*value)) : Param(),
                   std::string(nan ? "1" : "0")});
  const bool changed = std::string(PQcmdTuples(r.get())) == "1";
  tx.commit();
  return changed;
}

std::vector<std::int64_t> PostgresStorage::fail_stale_trials(std::int64_t study_id,
                                                             double grace_seconds) {
  // One statement: the UPDATE's row locks make concurrent callers fail each trial once.
  Result r = exec((std::string("WITH failed AS (UPDATE trials SET state = 'FAIL', "
                               "finished_at = ") + kNow +
                   " WHERE study_id = $1 AND state = 'RUNNING' AND heartbeat_at < " + kNow +
                   " - $2 RETURNING study_id, number), "
                   "attrs AS (INSERT INTO trial_attributes(study_id, number, key, value) "
                   "SELECT study_id, number, 'error', 'stale heartbeat' FROM failed "
                   "ON CONFLICT (study_id, number, key) DO UPDATE SET value = excluded.value) "
                   "SELECT number FROM failed ORDER BY number").c_str(),
                  {std::to_string(study_id), double_text(grace_seconds)});
  std::vector<std::int64_t> failed;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    failed.push_back(std::strtoll(PQgetvalue(r.get(), i, 0), nullptr, 10));
  }
  return failed;
}

std::vector<Trial> PostgresStorage::trials(std::int64_t study_id) {
  // REPEATABLE READ: one snapshot for the four tables.
  Transaction tx(*this, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  const std::string id = std::to_string(study_id);
  TrialAssembler out;
  {
    Result r = exec("SELECT number, state, value, value_nan, started_at, finished_at, "
                    "heartbeat_at FROM trials WHERE study_id = $1", {id});
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const PGresult* p = r.get();
      Trial t;
      t.number = std::strtoll(PQgetvalue(p, i, 0), nullptr, 10);
      t.state = parse_state(PQgetvalue(p, i, 1));
      if (std::string(PQgetvalue(p, i, 3)) != "0") {
        t.value = std::nan("");
      } else if (!PQgetisnull(p, i, 2)) {
        t.value = parse_double(PQgetvalue(p, i, 2));
      }
      t.started_at = parse_double(PQgetvalue(p, i, 4));
      t.finished_at = PQgetisnull(p, i, 5) ? 0 : parse_double(PQgetvalue(p, i, 5));
      t.heartbeat_at = parse_double(PQgetvalue(p, i, 6));
      out.add_trial(std::move(t));
    }
  }
  {
    Result r = exec("SELECT number, name, value FROM trial_params WHERE study_id = $1", {id});
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.add_param(std::strtoll(PQgetvalue(r.get(), i, 0), nullptr, 10),
                    PQgetvalue(r.get(), i, 1), parse_double(PQgetvalue(r.get(), i, 2)));
    }
  }
  {
    Result r = exec("SELECT number, step, value FROM trial_intermediate WHERE study_id = $1",
                    {id});
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.add_intermediate(std::strtoll(PQgetvalue(r.get(), i, 0), nullptr, 10),
                           std::strtoll(PQgetvalue(r.get(), i, 1), nullptr, 10),
                           PQgetisnull(r.get(), i, 2) ? std::nan("")
                                                      : parse_double(PQgetvalue(r.get(), i, 2)));
    }
  }
  {
    Result r = exec("SELECT number, key, value FROM trial_attributes WHERE study_id = $1",
                    {id});
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.add_attribute(std::strtoll(PQgetvalue(r.get(), i, 0), nullptr, 10),
                        PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2));
    }
  }
  tx.commit();
  return out.take();
}

double PostgresStorage::now() {
  Result r = exec((std::string("SELECT ") + kNow).c_str(), {});
  return parse_double(PQgetvalue(r.get(), 0, 0));
}

}  // namespace

std::unique_ptr<Storage> open_postgres_storage(const std::string& conninfo,
                                               const std::string& url) {
  return std::make_unique<PostgresStorage>(conninfo, url);
}

}  // namespace actlab::study::detail
