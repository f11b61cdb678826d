// No exception crosses the crypto core's public API (src/common/result.h), and encrypt and
// decrypt stay all-or-nothing when an allocation or the random generator fails (issue 11,
// items 8 and 9). This binary replaces the global operator new with one that can be told to
// fail the k-th allocation from now; every k is tried until the call succeeds, so every
// allocation point of the call is hit once. A throwing Rng covers the generator.
// GCC pairs the replaced operator delete's free() with the operator new it sees inlined and
// warns, though both sides here are malloc/free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>

#include "crypto/memory_store.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/session_builder.h"
#include "crypto/support/session_pair.h"

namespace {
std::atomic<long> g_fail_after{0};  // 0: never; k: the k-th allocation from now throws
}  // namespace

void* operator new(std::size_t size) {
  if (g_fail_after.load(std::memory_order_relaxed) > 0 &&
      g_fail_after.fetch_sub(1, std::memory_order_relaxed) == 1) {
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace exile::crypto {
namespace {

using test::make_session_pair;
using test::state_of;

// Runs call with the k-th allocation failing, k = 1, 2, ... until it succeeds. Each failed run
// must return OutOfMemory (not throw) and leave the session's state as it was. Returns how
// many allocation points failed.
template <class Call>
int every_allocation_fails_cleanly(const SecureBytes& saved, Call call) {
  for (long k = 1; k < 10000; ++k) {
    Session session = *Session::deserialize(saved);
    bool ok = false;
    ErrorCode code = ErrorCode::Internal;
    g_fail_after = k;
    try {
      const auto result = call(session);
      ok = result.has_value();
      if (!ok) code = result.error().code;
    } catch (const std::exception& e) {
      g_fail_after = 0;
      ADD_FAILURE() << "exception crossed the API at allocation " << k << ": " << e.what();
      continue;
    }
    const bool fired = g_fail_after.load() == 0;
    g_fail_after = 0;
    if (!fired) {  // the call made fewer than k allocations: it ran with no failure
      EXPECT_TRUE(ok) << "failed without an allocation failure";
      return static_cast<int>(k - 1);
    }
    if (ok) continue;  // a failure the call absorbed (e.g. an optional reservation)
    EXPECT_EQ(code, ErrorCode::OutOfMemory) << "allocation " << k;
    EXPECT_EQ(state_of(session), Bytes(saved.begin(), saved.end())) << "allocation " << k;
  }
  ADD_FAILURE() << "no end";
  return 0;
}

// Item 8/9: encrypt, with and without the send half of a DH step.
TEST(ExceptionBoundaryTest, EncryptOutOfMemoryIsAnErrorAndChangesNothing) {
  auto p = make_session_pair(1201);
  ASSERT_TRUE(test::decrypts_to(p.alice, *p.bob.encrypt(as_bytes("r"), p.rng), p.now, "r"));
  for (int step = 0; step < 2; ++step) {  // 0: send half pending; 1: plain chain step
    const SecureBytes saved = p.alice.serialize();
    const int points = every_allocation_fails_cleanly(saved, [&](Session& s) {
      DeterministicRng rng(5);
      return s.encrypt(as_bytes("hello"), rng);
    });
    EXPECT_GE(points, 1);
    ASSERT_TRUE(p.alice.encrypt(as_bytes("next"), p.rng));
  }
}

// decrypt allocates only through SecureAllocator (malloc, not operator new: the skipped-key
// store and the plaintext), which this hook cannot fail; its boundary is the same no_throw
// as encrypt's, and accept_session below runs it.

TEST(ExceptionBoundaryTest, BuildersOutOfMemoryIsAnError) {
  DeterministicRng rng(1203);
  const UnixMillis now = from_millis(test::kStartMillis);
  const IdentityKeyPair alice = IdentityKeyPair::generate(rng);
  const IdentityKeyPair bob = IdentityKeyPair::generate(rng);
  InMemoryPreKeyStore prekeys;
  const SignedPreKey spk = generate_signed_prekey(bob, 1, now, rng);
  ASSERT_TRUE(prekeys.store_signed_prekey(spk));
  const PreKeyBundle bundle = PreKeyBundle::make(bob, spk, nullptr);
  const auto fingerprint = IdentityFingerprint::of(bob.public_key());
  Session first = *start_session(alice, bundle, fingerprint, rng);
  const Bytes envelope = *first.encrypt(as_bytes("hi"), rng);
  const SecureBytes saved = first.serialize();  // serialize() returns no Result: not armed

  for (const int which : {0, 1, 2, 3}) {
    bool done = false;
    for (long k = 1; k < 10000 && !done; ++k) {
      g_fail_after = k;
      try {
        ErrorCode code = ErrorCode::Internal;
        bool ok = false;
        if (which == 0) {
          DeterministicRng r(9);
          auto s = start_session(alice, bundle, fingerprint, r);
          ok = s.has_value();
          if (!ok) code = s.error().code;
        } else if (which == 1) {
          auto s = accept_session(bob, prekeys, envelope, now);
          ok = s.has_value();
          if (!ok) code = s.error().code;
        } else if (which == 3) {
          DeterministicRng r(10);
          auto s = make_reset_offer(bob, 6, now, r);
          ok = s.has_value();
          if (!ok) code = s.error().code;
        } else {
          auto s = Session::deserialize(saved);
          ok = s.has_value();
          if (!ok) code = s.error().code;
        }
        const bool fired = g_fail_after.load() == 0;
        g_fail_after = 0;
        if (!fired) {
          EXPECT_TRUE(ok);
          done = true;
        } else if (!ok) {
          EXPECT_EQ(code, ErrorCode::OutOfMemory) << which << " at " << k;
        }
      } catch (const std::exception& e) {
        g_fail_after = 0;
        ADD_FAILURE() << "exception crossed the API (" << which << ") at allocation " << k;
      }
    }
    EXPECT_TRUE(done);
  }
}

// An Rng whose fill throws from the n-th call on (Rng::fill returns nothing: a throw is its
// only way to fail).
class FailingRng final : public Rng {
 public:
  explicit FailingRng(int good_fills) : good_(good_fills) {}
  void fill(MutableByteView out) override {
    if (good_-- <= 0) throw std::runtime_error("no entropy");
    inner_.fill(out);
  }

 private:
  int good_;
  DeterministicRng inner_{3};
};

PreKeyBundle bundle_of(test::SessionPair& p) {
  const SignedPreKey spk = generate_signed_prekey(p.bob_identity, 9, p.now, p.rng);
  return PreKeyBundle::make(p.bob_identity, spk, nullptr);
}
IdentityFingerprint fingerprint_of(const test::SessionPair& p) {
  return IdentityFingerprint::of(p.bob_identity.public_key());
}

// Item 8: the generator fails at the new ratchet secret (first draw) or at the header nonce
// (second draw): an error, and the state byte-for-byte as before.
TEST(ExceptionBoundaryTest, EncryptRngFailureIsAnErrorAndChangesNothing) {
  auto p = make_session_pair(1204);
  ASSERT_TRUE(test::decrypts_to(p.alice, *p.bob.encrypt(as_bytes("r"), p.rng), p.now, "r"));
  for (const int good : {0, 1}) {  // send half pending: two draws
    const Bytes before = state_of(p.alice);
    FailingRng rng(good);
    Result<Bytes> r = Bytes{};
    EXPECT_NO_THROW(r = p.alice.encrypt(as_bytes("x"), rng));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
    EXPECT_EQ(state_of(p.alice), before) << "good fills " << good;
  }
  ASSERT_TRUE(p.alice.encrypt(as_bytes("x"), p.rng));
  const Bytes before = state_of(p.alice);
  FailingRng rng(0);  // plain chain step: one draw
  Result<Bytes> r = Bytes{};
  EXPECT_NO_THROW(r = p.alice.encrypt(as_bytes("y"), rng));
  ASSERT_FALSE(r);
  EXPECT_EQ(state_of(p.alice), before);
  // start_session with a failing generator (its ephemeral key, then its ratchet key).
  for (const int good : {0, 1}) {
    FailingRng bad(good);
    Result<Session> s = fail(ErrorCode::InvalidArgument);
    EXPECT_NO_THROW(s = start_session(p.alice_identity, bundle_of(p), fingerprint_of(p), bad));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::Internal);
  }
  FailingRng bad(0);
  Result<ResetOffer> offer = fail(ErrorCode::InvalidArgument);
  EXPECT_NO_THROW(offer = make_reset_offer(p.bob_identity, 5, p.now, bad));
  ASSERT_FALSE(offer);
  EXPECT_EQ(offer.error().code, ErrorCode::Internal);
}

}  // namespace
}  // namespace exile::crypto
