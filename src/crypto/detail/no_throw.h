// The exception boundary of the crypto core's public API (src/common/result.h: no exception
// crosses a library boundary). Inside, std::bad_alloc may come from any allocation and any
// exception from a caller's Rng::fill (its only way to fail); no_throw turns them into
// errors: OutOfMemory for std::bad_alloc, Internal for anything else. Each public entry point
// that returns a Result runs its body through it; the body is all-or-nothing, so an error
// here, like any other, leaves the session as it was.
//
// The error's message is the code's own short name, which fits in std::string's inline
// storage: making the error allocates nothing, so it cannot fail while memory is short.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "common/result.h"

namespace exile::crypto::detail {

template <class F>
auto no_throw(F&& body) noexcept -> std::invoke_result_t<F> {
  try {
    return std::forward<F>(body)();
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::OutOfMemory);
  } catch (...) {
    return fail(ErrorCode::Internal);
  }
}

}  // namespace exile::crypto::detail
