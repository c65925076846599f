// The SQLite study storage: one file, WAL, every write one BEGIN IMMEDIATE transaction so
// that several processes on one machine can share a study (docs/formats.md).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>

#include "actlab/error.hpp"
#include "study/storage_schema.hpp"

namespace actlab::study::detail {
namespace {

constexpr int kBusyTimeoutMs = 60'000;

// SQLite cannot store NaN (it becomes NULL), so: trial_intermediate.value NULL means NaN
// (a step always has a value), and trials.value_nan = 1 marks a NaN objective value.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE studies(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                     config_json TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE trials(study_id INTEGER NOT NULL REFERENCES studies(id),
                    number INTEGER NOT NULL, state TEXT NOT NULL, value REAL,
                    value_nan INTEGER NOT NULL DEFAULT 0, started_at REAL NOT NULL,
                    finished_at REAL, heartbeat_at REAL NOT NULL,
                    PRIMARY KEY(study_id, number));
CREATE INDEX trials_by_state ON trials(study_id, state);
CREATE TABLE trial_params(study_id INTEGER NOT NULL, number INTEGER NOT NULL,
                          name TEXT NOT NULL, value REAL NOT NULL,
                          PRIMARY KEY(study_id, number, name),
                          FOREIGN KEY(study_id, number) REFERENCES trials(study_id, number));
CREATE TABLE trial_intermediate(study_id INTEGER NOT NULL, number INTEGER NOT NULL,
                                step INTEGER NOT NULL, value REAL,
                                PRIMARY KEY(study_id, number, step),
                                FOREIGN KEY(study_id, number) REFERENCES trials(study_id, number));
CREATE TABLE trial_attributes(study_id INTEGER NOT NULL, number INTEGER NOT NULL,
                              key TEXT NOT NULL, value TEXT NOT NULL,
                              PRIMARY KEY(study_id, number, key),
                              FOREIGN KEY(study_id, number) REFERENCES trials(study_id, number));
)sql";

double wall_clock() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteStorage;

// One prepared statement; errors go through the storage's error mapping.
class Statement {
 public:
  Statement(const SqliteStorage& owner, const char* sql);
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v) { return checked(sqlite3_bind_int64(stmt_, i, v)); }
  Statement& bind(int i, double v) { return checked(sqlite3_bind_double(stmt_, i, v)); }
  Statement& bind(int i, const std::string& v) {
    return checked(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()),
                                     SQLITE_TRANSIENT));
  }
  Statement& bind_null(int i) { return checked(sqlite3_bind_null(stmt_, i)); }
  bool step();  // true while a row is available
  void run() { while (step()) {} }

  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  Statement& checked(int rc);
  const SqliteStorage& owner_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const std::string& path, std::string url);
  ~SqliteStorage() override { sqlite3_close_v2(db_); }
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

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
  double now() override { return wall_clock(); }
  std::string url() const override { return url_; }

  // Error kCorruptData for a damaged file, kIo otherwise; `rc` is SQLite's code.
  [[noreturn]] void fail(int rc, const std::string& what) const;
  sqlite3* db() const { return db_; }

 private:
  // BEGIN IMMEDIATE (writes) or BEGIN (consistent reads); rolls back unless committed.
  class Transaction {
   public:
    Transaction(SqliteStorage& s, bool write) : s_(s) {
      s_.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
    }
    ~Transaction() {
      if (!done_) sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }

   private:
    SqliteStorage& s_;
    bool done_ = false;
  };

  void exec(const char* sql);
  void setup();  // pragmas and the schema, after the file is open
  void create_or_check_schema();
  StudyRecord study_row(Statement& st) const;
  // Error kInvalidArgument unless the trial exists (called inside the write transaction).
  void require_trial(std::int64_t study_id, std::int64_t number);
  void touch_heartbeat(std::int64_t study_id, std::int64_t number, double t);

  std::string path_;
  std::string url_;
  sqlite3* db_ = nullptr;
};

Statement::Statement(const SqliteStorage& owner, const char* sql) : owner_(owner) {
  const int rc = sqlite3_prepare_v2(owner.db(), sql, -1, &stmt_, nullptr);
  if (rc != SQLITE_OK) owner.fail(rc, "preparing a query");
}

Statement& Statement::checked(int rc) {
  if (rc != SQLITE_OK) owner_.fail(rc, "binding a query parameter");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  owner_.fail(rc, "running a query");
}

SqliteStorage::SqliteStorage(const std::string& path, std::string url)
    : path_(path), url_(std::move(url)) {
  namespace fs = std::filesystem;
  const fs::path parent = fs::absolute(fs::path(path)).parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    throw Error(ErrorCode::kIo, "cannot open study database '" + path + "': directory '" +
                                    parent.string() + "' does not exist");
  }
  if (fs::is_directory(fs::path(path), ec)) {
    throw Error(ErrorCode::kIo,
                "cannot open study database '" + path + "': it is a directory, not a file");
  }
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                 nullptr);
  // A throwing constructor runs no destructor: close the handle on every failure below.
  try {
    if (rc != SQLITE_OK) fail(rc, "opening");
    setup();
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

void SqliteStorage::setup() {
  sqlite3_extended_result_codes(db_, 1);
  // Writers queue behind each other instead of failing with "database is locked" (Optuna's
  // SQLite trouble, OPTUNA.md); 60 s is far longer than any of our transactions.
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (sqlite3_db_readonly(db_, "main") == 1) {
    throw Error(ErrorCode::kIo,
                "cannot open study database '" + path_ + "' for writing (permission denied?)");
  }
  create_or_check_schema();
  // WAL lets readers (the report, a dashboard) run beside the writers; set after the checks
  // so that a foreign database is never modified. NORMAL sync is still crash-safe in WAL.
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
}

void SqliteStorage::fail(int rc, const std::string& what) const {
  const int primary = rc & 0xff;
  const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const std::string prefix = "study database '" + path_ + "': " + what + ": ";
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    throw Error(ErrorCode::kCorruptData,
                prefix + message + " (the file is not an SQLite database or is damaged)");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw Error(ErrorCode::kIo, prefix + message + " (still locked after the " +
                                    std::to_string(kBusyTimeoutMs / 1000) +
                                    " s busy timeout; is another process stuck?)");
  }
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM) {
    throw Error(ErrorCode::kIo,
                prefix + message + " (the file and its folder must be readable and writable)");
  }
  throw Error(ErrorCode::kIo, prefix + message);
}

void SqliteStorage::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, std::string("running '") + sql + "'");
}

void SqliteStorage::create_or_check_schema() {
  Transaction tx(*this, true);
  // quick_check reads every page, so a truncated or damaged file is refused here rather
  // than halfway through a study. A study database is small; this costs milliseconds.
  {
    Statement check(*this, "PRAGMA quick_check");
    while (check.step()) {
      const std::string line = check.text(0);
      if (line != "ok") {
        throw Error(ErrorCode::kCorruptData,
                    "study database '" + path_ + "' is damaged: " + line);
      }
    }
  }
  std::set<std::string> tables;
  {
    Statement st(*this, "SELECT name FROM sqlite_master WHERE type = 'table'");
    while (st.step()) tables.insert(st.text(0));
  }
  if (tables.empty()) {
    exec(kSchemaSql);
    Statement meta(*this, "INSERT INTO meta(key, value) VALUES ('format', ?1), "
                          "('schema_version', ?2)");
    meta.bind(1, std::string(kFormatName)).bind(2, std::to_string(kSchemaVersion)).run();
    tx.commit();
    return;
  }
  const std::string where = "study database '" + path_ + "'";
  if (tables.count("meta") == 0) {
    throw Error(ErrorCode::kCorruptData,
                where + " is not an actlab study database (it has tables but no 'meta' "
                        "table; an Optuna database cannot be used directly)");
  }
  std::map<std::string, std::string> meta;
  {
    Statement st(*this, "SELECT key, value FROM meta");
    while (st.step()) meta[st.text(0)] = st.text(1);
  }
  check_meta(meta, where);
  for (const std::string& table : schema_tables()) {
    if (tables.count(table) == 0) {
      throw Error(ErrorCode::kCorruptData, where + " lacks its '" + table + "' table");
    }
  }
  tx.commit();
}

StudyRecord SqliteStorage::study_row(Statement& st) const {
  StudyRecord r;
  r.id = st.integer(0);
  r.name = st.text(1);
  r.config_json = st.text(2);
  r.created_at = st.real(3);
  return r;
}

StudyRecord SqliteStorage::open_study(const std::string& name, const std::string& config_json,
                                      bool* created) {
  Transaction tx(*this, true);
  if (created != nullptr) *created = false;
  {
    Statement find(*this, "SELECT id, name, config_json, created_at FROM studies "
                          "WHERE name = ?1");
    find.bind(1, name);
    if (find.step()) {
      StudyRecord r = study_row(find);
      tx.commit();
      return r;
    }
  }
  StudyRecord r;
  r.name = name;
  r.config_json = config_json;
  r.created_at = wall_clock();
  Statement insert(*this, "INSERT INTO studies(name, config_json, created_at) "
                          "VALUES (?1, ?2, ?3)");
  insert.bind(1, name).bind(2, config_json).bind(3, r.created_at).run();
  r.id = sqlite3_last_insert_rowid(db_);
  tx.commit();
  if (created != nullptr) *created = true;
  return r;
}

std::optional<StudyRecord> SqliteStorage::find_study(const std::string& name) {
  Statement st(*this, "SELECT id, name, config_json, created_at FROM studies WHERE name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return study_row(st);
}

std::vector<StudyRecord> SqliteStorage::studies() {
  Statement st(*this, "SELECT id, name, config_json, created_at FROM studies ORDER BY id");
  std::vector<StudyRecord> out;
  while (st.step()) out.push_back(study_row(st));
  return out;
}

std::optional<std::int64_t> SqliteStorage::create_trial(
    std::int64_t study_id, std::size_t target,
    const std::map<std::string, std::string>& attributes) {
  // The count and the insert share one write transaction: no other process can insert in
  // between, so numbers are unique and gapless.
  Transaction tx(*this, true);
  {
    Statement study(*this, "SELECT 1 FROM studies WHERE id = ?1");
    study.bind(1, study_id);
    if (!study.step()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "no study with id " + std::to_string(study_id) + " in '" + path_ + "'");
    }
  }
  if (target > 0) {
    Statement active(*this, "SELECT COUNT(*) FROM trials WHERE study_id = ?1 "
                            "AND state IN ('RUNNING', 'COMPLETE', 'PRUNED')");
    active.bind(1, study_id).step();
    if (active.integer(0) >= static_cast<std::int64_t>(target)) {
      tx.commit();
      return std::nullopt;
    }
  }
  Statement count(*this, "SELECT COUNT(*) FROM trials WHERE study_id = ?1");
  count.bind(1, study_id).step();
  const std::int64_t number = count.integer(0);
  const double t = wall_clock();
  Statement insert(*this, "INSERT INTO trials(study_id, number, state, started_at, "
                          "heartbeat_at) VALUES (?1, ?2, 'RUNNING', ?3, ?3)");
  insert.bind(1, study_id).bind(2, number).bind(3, t).run();
  for (const auto& [key, value] : attributes) {
    Statement attr(*this, "INSERT INTO trial_attributes(study_id, number, key, value) "
                          "VALUES (?1, ?2, ?3, ?4)");
    attr.bind(1, study_id).bind(2, number).bind(3, key).bind(4, value).run();
  }
  tx.commit();
  return number;
}

void SqliteStorage::require_trial(std::int64_t study_id, std::int64_t number) {
  Statement st(*this, "SELECT 1 FROM trials WHERE study_id = ?1 AND number = ?2");
  st.bind(1, study_id).bind(2, number);
  if (!st.step()) {
    throw Error(ErrorCode::kInvalidArgument, "no trial " + std::to_string(number) +
                                                 " in study " + std::to_string(study_id) +
                                                 " of '" + path_ + "'");
  }
}

void SqliteStorage::set_param(std::int64_t study_id, std::int64_t number,
                              const std::string& name, double internal_value) {
  if (std::isnan(internal_value)) {
    throw Error(ErrorCode::kInvalidParameter, "parameter '" + name + "' of trial " +
                                                  std::to_string(number) + " is NaN");
  }
  Transaction tx(*this, true);
  require_trial(study_id, number);
  Statement st(*this, "INSERT OR REPLACE INTO trial_params(study_id, number, name, value) "
                      "VALUES (?1, ?2, ?3, ?4)");
  st.bind(1, study_id).bind(2, number).bind(3, name).bind(4, internal_value).run();
  tx.commit();
}

void SqliteStorage::set_attribute(std::int64_t study_id, std::int64_t number,
                                  const std::string& key, const std::string& value) {
  Transaction tx(*this, true);
  require_trial(study_id, number);
  Statement st(*this, "INSERT OR REPLACE INTO trial_attributes(study_id, number, key, value) "
                      "VALUES (?1, ?2, ?3, ?4)");
  st.bind(1, study_id).bind(2, number).bind(3, key).bind(4, value).run();
  tx.commit();
}

void SqliteStorage::touch_heartbeat(std::int64_t study_id, std::int64_t number, double t) {
  Statement st(*this, "UPDATE trials SET heartbeat_at = ?3 WHERE study_id = ?1 AND "
                      "number = ?2 AND state = 'RUNNING'");
  st.bind(1, study_id).bind(2, number).bind(3, t).run();
}

void SqliteStorage::report(std::int64_t study_id, std::int64_t number, std::int64_t step,
                           double value) {
  Transaction tx(*this, true);
  require_trial(study_id, number);
  Statement st(*this, "INSERT OR REPLACE INTO trial_intermediate(study_id, number, step, "
                      "value) VALUES (?1, ?2, ?3, ?4)");
  st.bind(1, study_id).bind(2, number).bind(3, step);
  if (std::isnan(value)) {
    st.bind_null(4);  // NULL = NaN in this table
  } else {
    st.bind(4, value);
  }
  st.run();
  touch_heartbeat(study_id, number, wall_clock());
  tx.commit();
}

void SqliteStorage::heartbeat(std::int64_t study_id, std::int64_t number) {
  Transaction tx(*this, true);
  require_trial(study_id, number);
  touch_heartbeat(study_id, number, wall_clock());
  tx.commit();
}

bool SqliteStorage::finish_trial(std::int64_t study_id, std::int64_t number, TrialState state,
                                 std::optional<double> value) {
  if (state == TrialState::kRunning) {
    throw Error(ErrorCode::kInvalidArgument, "finish_trial needs COMPLETE, PRUNED or FAIL");
  }
  Transaction tx(*this, true);
  require_trial(study_id, number);
  Statement st(*this, "UPDATE trials SET state = ?3, value = ?4, value_nan = ?5, "
                      "finished_at = ?6 WHERE study_id = ?1 AND number = ?2 "
                      "AND state = 'RUNNING'");
  st.bind(1, study_id).bind(2, number).bind(3, state_name(state));
  const bool nan = value.has_value() && std::isnan(*value);
  if (value.has_value() && !nan) {
    st.bind(4, *value);
  } else {
    st.bind_null(4);
  }
  st.bind(5, std::int64_t{nan ? 1 : 0}).bind(6, wall_clock()).run();
  const bool changed = sqlite3_changes(db_) == 1;
  tx.commit();
  return changed;
}

std::vector<std::int64_t> SqliteStorage::fail_stale_trials(std::int64_t study_id,
                                                           double grace_seconds) {
  Transaction tx(*this, true);
  const double t = wall_clock();
  std::vector<std::int64_t> failed;
  {
    Statement st(*this, "UPDATE trials SET state = 'FAIL', finished_at = ?2 "
                        "WHERE study_id = ?1 AND state = 'RUNNING' AND heartbeat_at < ?3 "
                        "RETURNING number");
    st.bind(1, study_id).bind(2, t).bind(3, t - grace_seconds);
    while (st.step()) failed.push_back(st.integer(0));
  }
  for (const std::int64_t number : failed) {
    Statement attr(*this, "INSERT OR REPLACE INTO trial_attributes(study_id, number, key, "
                          "value) VALUES (?1, ?2, 'error', 'stale heartbeat')");
    attr.bind(1, study_id).bind(2, number).run();
  }
  tx.commit();
  std::sort(failed.begin(), failed.end());
  return failed;
}

std::vector<Trial> SqliteStorage::trials(std::int64_t study_id) {
  Transaction tx(*this, false);  // one snapshot for the four tables
  TrialAssembler out;
  {
    Statement st(*this, "SELECT number, state, value, value_nan, started_at, finished_at, "
                        "heartbeat_at FROM trials WHERE study_id = ?1");
    st.bind(1, study_id);
    while (st.step()) {
      Trial t;
      t.number = st.integer(0);
      t.state = parse_state(st.text(1));
      if (st.integer(3) != 0) {
        t.value = std::nan("");
      } else if (!st.is_null(2)) {
        t.value = st.real(2);
      }
      t.started_at = st.real(4);
      t.finished_at = st.is_null(5) ? 0 : st.real(5);
      t.heartbeat_at = st.real(6);
      out.add_trial(std::move(t));
    }
  }
  {
    Statement st(*this, "SELECT number, name, value FROM trial_params WHERE study_id = ?1");
    st.bind(1, study_id);
    while (st.step()) out.add_param(st.integer(0), st.text(1), st.real(2));
  }
  {
    Statement st(*this, "SELECT number, step, value FROM trial_intermediate "
                        "WHERE study_id = ?1");
    st.bind(1, study_id);
    while (st.step()) {
      out.add_intermediate(st.integer(0), st.integer(1),
                           st.is_null(2) ? std::nan("") : st.real(2));
    }
  }
  {
    Statement st(*this, "SELECT number, key, value FROM trial_attributes WHERE study_id = ?1");
    st.bind(1, study_id);
    while (st.step()) out.add_attribute(st.integer(0), st.text(1), st.text(2));
  }
  tx.commit();
  return out.take();
}

}  // namespace

std::unique_ptr<Storage> open_sqlite_storage(const std::string& path, const std::string& url) {
  return std::make_unique<SqliteStorage>(path, url);
}

}  // namespace actlab::study::detail
