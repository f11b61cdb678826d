#include "cli/passphrase.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace exile::cli {
namespace {

// The terminal's settings while echo is off, restored by the signal handler if the user
// interrupts the prompt (else the shell would be left without echo).
struct termios g_saved_terminal {};
volatile sig_atomic_t g_terminal_changed = 0;

extern "C" void restore_terminal_and_die(int signal_number) {
  if (g_terminal_changed != 0) tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads from `fd` up to "\n" or end of file into `out`, which never reallocates (its capacity
// is reserved first), so no copy of the passphrase is left behind in freed memory.
Result<void> read_line(int fd, SecureBytes& out) {
  out.clear();
  out.reserve(kMaxPassphraseBytes + 1);
  for (;;) {
    std::uint8_t byte = 0;
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::InvalidArgument, "cannot read the passphrase");
    if (n == 0 || byte == '\n') break;
    if (out.size() == kMaxPassphraseBytes) {
      return fail(ErrorCode::InvalidArgument, "the passphrase is longer than 4096 bytes");
    }
    out.push_back(byte);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return {};
}

Result<SecureBytes> prompt(const char* text) {
  write_stderr(text);
  SecureBytes passphrase;
  if (tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) {
    return fail(ErrorCode::InvalidArgument, "cannot turn off the terminal's echo");
  }
  struct termios quiet = g_saved_terminal;
  quiet.c_lflag &= static_cast<tcflag_t>(~(ECHO | ECHONL));
  quiet.c_lflag |= ICANON;
  struct sigaction action {};
  action.sa_handler = restore_terminal_and_die;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{}, old_hup{}, old_quit{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  sigaction(SIGHUP, &action, &old_hup);
  sigaction(SIGQUIT, &action, &old_quit);
  g_terminal_changed = 1;
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
    g_terminal_changed = 0;
    return fail(ErrorCode::InvalidArgument, "cannot turn off the terminal's echo");
  }
  auto read = read_line(STDIN_FILENO, passphrase);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  g_terminal_changed = 0;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  write_stderr("\n");
  if (!read) return std::unexpected(read.error());
  return passphrase;
}

}  // namespace

bool passphrase_source_exists(const std::optional<std::filesystem::path>& file) {
  return file.has_value() || std::getenv(kPassphraseVariable) != nullptr ||
         isatty(STDIN_FILENO) == 1;
}

Result<SecureBytes> read_passphrase_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::InvalidArgument, "cannot open the passphrase file");
  SecureBytes passphrase;
  auto read = read_line(fd, passphrase);
  ::close(fd);
  if (!read) return std::unexpected(read.error());
  return passphrase;
}

Result<SecureBytes> read_passphrase(const std::optional<std::filesystem::path>& file,
                                    PassphraseUse use) {
  SecureBytes passphrase;
  if (file) {
    auto read = read_passphrase_file(*file);
    if (!read) return read;
    passphrase = std::move(*read);
  } else if (const char* variable = std::getenv(kPassphraseVariable); variable != nullptr) {
    const std::size_t size = std::strlen(variable);
    if (size > kMaxPassphraseBytes) {
      return fail(ErrorCode::InvalidArgument, "the passphrase is longer than 4096 bytes");
    }
    passphrase.assign(variable, variable + size);
  } else if (isatty(STDIN_FILENO) == 1) {
    auto first = prompt(use == PassphraseUse::Create ? "New passphrase: " : "Passphrase: ");
    if (!first) return first;
    if (use == PassphraseUse::Create) {
      auto second = prompt("The same passphrase again: ");
      if (!second) return second;
      // Both were typed by the one user at this terminal: no timing to hide.
      if (!std::equal(first->begin(), first->end(), second->begin(), second->end())) {
        return fail(ErrorCode::InvalidArgument, "the two passphrases differ");
      }
    }
    passphrase = std::move(*first);
  } else {
    return fail(ErrorCode::InvalidArgument,
                "no passphrase: stdin is not a terminal; give --passphrase-file FILE or set "
                "EXILE_PASSPHRASE");
  }
  if (use == PassphraseUse::Create && passphrase.empty()) {
    return fail(ErrorCode::InvalidArgument, "the passphrase is empty");
  }
  return passphrase;
}

}  // namespace exile::cli
