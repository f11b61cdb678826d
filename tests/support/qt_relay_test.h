// For the client tests that drive RelayConnection against a real exile-relay: their main(), and
// waiting for an answer (the Qt event loop runs until the callback comes).
#pragma once

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QTest>
#include <memory>
#include <optional>
#include <utility>

#include "common/result.h"
#include "common/sodium.h"
#include "relay/client/relay_connection.h"

namespace exile::test {

// Calls `call(done)` and waits up to `wait_ms` for `done`. On timeout the test fails and the
// answer is `on_timeout` (each test picks a failure its own checks tell apart).
template <class T, class Call>
Result<T> await_answer(Call&& call, int wait_ms, Error on_timeout) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  call([slot](Result<T> result) { *slot = std::move(result); });
  if (!QTest::qWaitFor([&] { return slot->has_value(); }, wait_ms)) {
    ADD_FAILURE() << "no answer within " << wait_ms << " ms";
    return std::unexpected(std::move(on_timeout));
  }
  return std::move(**slot);
}

// The body of such a test's main(): a Qt application for RelayConnection's sockets, then every
// test.
inline int run_qt_tests(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  exile::ensure_sodium();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

}  // namespace exile::test
