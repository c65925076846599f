#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "support/test_support.hpp"

namespace actlab::test {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& stem, const fs::path& parent) {
  std::string pattern = (parent / (stem + "_XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string find_bin_dir() {
  std::string best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = (entry.path() / "bin").string();
    if (fs::exists(bin + "/initdb") && fs::exists(bin + "/pg_ctl") && bin > best) best = bin;
  }
  if (best.empty()) {
    throw std::runtime_error("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
                             "(install Debian's postgresql package; scripts/setup.sh does)");
  }
  return best;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  if (port == 0) throw std::runtime_error("cannot find a free TCP port on 127.0.0.1");
  return port;
}

void run(const std::string& command, const std::string& what) {
  const auto r = run_command(command);
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) +
                             "): " + command + "\n" + r.out + r.err);
  }
}

}  // namespace

// In /tmp whatever TMPDIR says: the postgres user must reach it, and the server's socket path
// inside it must stay under 108 bytes. The server refuses to run as root, so as root (CI)
// initdb and pg_ctl run as the postgres system user through runuser, in a folder chowned to it.
PostgresServer::PostgresServer() : dir_("actlab_pg", "/tmp") {
  const std::string bin = find_bin_dir();
  if (::geteuid() == 0) {
    const passwd* pg = ::getpwnam("postgres");
    if (pg == nullptr) {
      throw std::runtime_error("running as root, but there is no 'postgres' user to run the "
                               "server as (install Debian's postgresql package)");
    }
    if (::chown(dir_.path().c_str(), pg->pw_uid, pg->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + dir_.path() + " to postgres");
    }
    as_server_ = "runuser -u postgres -- ";
  }
  data_ = dir_.file("data");
  pg_ctl_ = bin + "/pg_ctl";
  run(as_server_ + bin + "/initdb -D '" + data_ +
          "' -U actlab -A trust -E UTF8 --locale=C --no-sync",
      "initdb");
  // A free port can be taken between the probe and the start: try a few.
  std::string last_error;
  for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
    const int port = free_port();
    const auto r = run_command(
        as_server_ + pg_ctl_ + " -D '" + data_ + "' -l '" + dir_.file("server.log") +
        "' -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p " + std::to_string(port) + " -k '" +
        dir_.path() + "' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start");
    if (r.exit_code == 0) {
      port_ = port;
    } else {
      last_error = r.err + r.out + read_text(dir_.file("server.log"));
    }
  }
  if (port_ == 0) throw std::runtime_error("pg_ctl start failed: " + last_error);
  started_ = true;
  bin_ = bin;
}

PostgresServer::~PostgresServer() {
  if (started_) run_command(as_server_ + pg_ctl_ + " -D '" + data_ + "' -m immediate stop");
}

std::string PostgresServer::create_database(const std::string& name) const {
  run(bin_ + "/createdb -h 127.0.0.1 -p " + std::to_string(port_) + " -U actlab " + name,
      "createdb");
  return url(name);
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://actlab@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void PostgresServer::psql(const std::string& database, const std::string& sql) const {
  run(bin_ + "/psql -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p " + std::to_string(port_) +
          " -U actlab -d " + database + " -c \"" + sql + "\"",
      "psql");
}

}  // namespace actlab::test
