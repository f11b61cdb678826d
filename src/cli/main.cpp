// exile-cli: the engine from a terminal or a script (docs/cli.md). Parses the command line,
// reads the passphrase, opens (or, for init, creates) the profile, runs one command or the
// daemon, locks the profile and exits with the code of docs/cli.md ("Exit codes").
#include <signal.h>

#include <QCoreApplication>
#include <QTimer>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/arguments.h"
#include "cli/daemon.h"
#include "cli/exit_code.h"
#include "cli/json_views.h"
#include "cli/passphrase.h"
#include "cli/runner.h"
#include "cli/text_views.h"
#include "common/log.h"
#include "engine/engine.h"
#include "engine/qt_host.h"

namespace {

using namespace exile;
using namespace exile::cli;

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void print_note(const std::string& note) { std::fprintf(stderr, "exile-cli: %s\n", note.c_str()); }

// Prints an error as docs/cli.md says (stderr; and the JSON answer on stdout with --json) and
// returns the exit code.
int report(const Error& error, bool json, ExitCode code) {
  std::fprintf(stderr, "exile-cli: %s\n", error.message.c_str());
  if (json) print(to_line(error_answer(std::nullopt, error)));
  return static_cast<int>(code);
}

int report(const Error& error, bool json) { return report(error, json, exit_code_for(error.code)); }

int report_outcome(const Command& command, const Outcome& outcome, bool json) {
  if (!outcome.result) return report(outcome.result.error(), json);
  if (json) {
    print(to_line(ok_answer(std::nullopt, *outcome.result, outcome.note)));
  } else {
    print(render_text(command, *outcome.result, outcome.note.has_value()));
    if (outcome.note) print_note(*outcome.note);
  }
  return static_cast<int>(ExitCode::Ok);
}

int run_init(const Init& init, const engine::Options& options, const GlobalOptions& global,
             QCoreApplication& app) {
  std::unique_ptr<engine::Engine> engine;
  {
    auto passphrase = read_passphrase(global.passphrase_file, PassphraseUse::Create);
    if (!passphrase) return report(passphrase.error(), global.json);
    auto created = engine::Engine::create(options, {}, engine::ProfileSpec{init.name, init.relay},
                                          *passphrase);
    if (!created) return report(created.error(), global.json);
    engine = std::move(*created);
  }
  engine::QtHost host(std::move(engine));
  Runner runner(host, Mode::OneShot, global.wait);
  int code = 0;
  QTimer::singleShot(0, &runner, [&] {
    runner.wait_for_address(global.wait, [&](bool ready) {
      QJsonObject result;
      result["profile"] = QString::fromStdString(options.profile_dir.string());
      result["address_ready"] = ready;
      Outcome outcome{QJsonValue(result), std::nullopt};
      if (!ready) outcome.note = std::string(kAddressPendingNote);
      code = report_outcome(init, outcome, global.json);
      app.exit(code);
    });
  });
  app.exec();
  host.lock();
  return code;
}

int run_open(const Command& command, const engine::Options& options, const GlobalOptions& global,
             QCoreApplication& app) {
  std::unique_ptr<engine::Engine> engine;
  {
    auto passphrase = read_passphrase(global.passphrase_file, PassphraseUse::Unlock);
    if (!passphrase) return report(passphrase.error(), global.json);
    auto unlocked = engine::Engine::unlock(options, {}, *passphrase);
    if (!unlocked) return report(unlocked.error(), global.json);
    engine = std::move(*unlocked);
  }
  engine::QtHost host(std::move(engine));
  int code = 0;
  if (std::holds_alternative<Daemon>(command)) {
    DaemonLoop daemon(host, [&app] { app.exit(0); });
    on_quit_signals(&daemon, [&app] { app.exit(0); });
    app.exec();
    host.lock();
    return 0;
  }
  Runner runner(host, Mode::OneShot, global.wait);
  QTimer::singleShot(0, &runner, [&] {
    runner.run(command, [&](Outcome outcome) {
      code = report_outcome(command, outcome, global.json);
      app.exit(code);
    });
  });
  app.exec();
  host.lock();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv + 1, argv + argc);
  QCoreApplication app(argc, argv);
  log::set_level(log::Level::Warn);

  auto invocation = parse_arguments(args);
  const bool json = invocation ? invocation->options.json : false;
  if (!invocation) return report(invocation.error(), json, ExitCode::Usage);
  if (invocation->action == Action::Help) {
    print(std::string(usage_text()));
    return 0;
  }
  if (invocation->action == Action::Version) {
    print("exile-cli " EXILE_VERSION "\n");
    return 0;
  }
  const GlobalOptions& global = invocation->options;
  if (!passphrase_source_exists(global.passphrase_file)) {
    return report(Error(ErrorCode::InvalidArgument,
                        "no passphrase: stdin is not a terminal; give --passphrase-file FILE or "
                        "set EXILE_PASSPHRASE"),
                  json, ExitCode::Usage);
  }
  engine::Options options;
  options.profile_dir = global.profile ? *global.profile : engine::default_profile_dir();
  if (const auto* init = std::get_if<Init>(&invocation->command)) {
    return run_init(*init, options, global, app);
  }
  return run_open(invocation->command, options, global, app);
}
