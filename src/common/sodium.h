// libsodium initialisation: every entry point that uses libsodium calls ensure_sodium()
// first (it is cheap after the first call and thread-safe).
#pragma once

namespace exile {
void ensure_sodium();
}
