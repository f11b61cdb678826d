#include "relay/client/detail/relay_keyring.h"

namespace exile::relay::client::detail {

namespace wire = relay::wire;

void RelayKeyring::retain(const wire::KeyPair& pair) {
  auto it = entries_.find(pair.public_key);
  if (it == entries_.end()) {
    Entry entry{wire::KeyPair{pair.public_key, pair.secret_key.clone()}, 0, std::nullopt};
    it = entries_.emplace(pair.public_key, std::move(entry)).first;
  }
  ++it->second.references;
}

bool RelayKeyring::retain(const wire::PublicKey& public_key) {
  auto it = entries_.find(public_key);
  if (it == entries_.end()) return false;
  ++it->second.references;
  return true;
}

void RelayKeyring::release(const wire::PublicKey& public_key) {
  auto it = entries_.find(public_key);
  if (it == entries_.end()) return;
  if (--it->second.references == 0) entries_.erase(it);
}

void RelayKeyring::begin_session(const wire::PublicKey& session_key,
                                 const wire::SessionNonce& session_nonce) {
  end_session();
  session_ = Session{session_key, session_nonce};
}

void RelayKeyring::end_session() {
  session_.reset();
  for (auto& [key, entry] : entries_) entry.command_key.reset();
}

std::optional<wire::Authenticator> RelayKeyring::authenticate(const wire::PublicKey& public_key,
                                                              std::uint64_t request_id,
                                                              ByteView command) {
  if (!session_) return std::nullopt;
  auto it = entries_.find(public_key);
  if (it == entries_.end()) return std::nullopt;
  Entry& entry = it->second;
  if (!entry.command_key) {
    auto key = wire::client_command_key(entry.pair, session_->session_key, session_->session_nonce);
    if (!key) return std::nullopt;
    entry.command_key = std::move(*key);
  }
  return wire::authenticate(*entry.command_key, request_id, command);
}

}  // namespace exile::relay::client::detail
