// The one error type of actlab: a message a user can act on, plus a code the CLI maps
// to a documented exit status (docs/cli.md).
#pragma once

#include <stdexcept>
#include <string>

namespace actlab {

enum class ErrorCode {
  kUnknownName = 3,       // an activation, parameter or command name that does not exist
  kInvalidParameter = 4,  // a parameter out of its range, not a number, or inconsistent
  kInvalidArgument = 5,   // shapes, sizes or dims that do not fit together
  kIo = 6,                // a file that cannot be opened, read or written
  kCorruptData = 7,       // a file whose contents are malformed or truncated
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace actlab
