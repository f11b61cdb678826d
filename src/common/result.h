// Result<T>: a value or an Error. Every call that can fail returns one; no exceptions
// cross a library boundary.
#pragma once

#include <expected>
#include <utility>

#include "common/error.h"

namespace exile {

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code) { return std::unexpected<Error>(Error(code)); }
inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}
inline std::unexpected<Error> fail(Error error) { return std::unexpected<Error>(std::move(error)); }

}  // namespace exile

// Propagates an error: EXILE_TRY(expr) evaluates expr (a Result<void>) and returns its error.
#define EXILE_TRY(expr)                                               \
  do {                                                                \
    if (auto exile_try_result_ = (expr); !exile_try_result_)          \
      return ::std::unexpected(std::move(exile_try_result_).error()); \
  } while (false)
