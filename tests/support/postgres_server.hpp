// A throwaway PostgreSQL server for tests (Debian's postgresql binaries): initdb into a
// temporary folder, started on 127.0.0.1 at a free port with fsync off, stopped (immediate)
// and removed by the destructor. As root (CI) the server runs as the `postgres` user.
// Throws std::runtime_error saying what is missing or what failed; tests turn that into a
// failure, never a skip.
#pragma once

#include <filesystem>
#include <string>

namespace actlab::test {

// A mkdtemp folder, removed with its contents by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& stem = "actlab_test",
                   const std::filesystem::path& parent = std::filesystem::temp_directory_path());
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A new database `name` (createdb) and its URL.
  std::string create_database(const std::string& name) const;
  std::string url(const std::string& database) const;
  // Runs one SQL command with psql.
  void psql(const std::string& database, const std::string& sql) const;

 private:
  TempDir dir_;  // declared first: removed after the server is stopped
  std::string data_, pg_ctl_, bin_, as_server_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace actlab::test
