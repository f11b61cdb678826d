// exile_bench_crypto's main(): registers the Exile cases and the primitives (the Olm cases
// register themselves), checks the recipe against counted libsodium calls, and records the
// recipe, the counts and the check in the JSON context for scripts/bench.
//
// Context keys (values use no quotes, so any reporter can carry them):
//   exile.recipe.<Case>  "X25519*4 HkdfSha256_96*2 ..."        primitives x count
//   exile.calls.<Case>   "crypto_scalarmult=4 sodium_malloc=30 ..."  counted per run
//   exile.check.<Case>   "ok" or "MISMATCH crypto_scalarmult expected 4 counted 5; ..."
#include "crypto_bench.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace exile::bench {
namespace {

struct Measured {
  CallCounts counts{};
  bool ok = false;
};

// Runs a probe's work `iterations` times under the counters (prepare untimed and uncounted).
Measured count_calls(const Probe& probe) {
  Measured measured;
  auto work = probe.make();
  if (!work) return measured;
  // One uncounted run first: one-time initialisations (libsodium's, and keys the crypto core
  // caches for the process) are not part of a case.
  if ((work->prepare && !work->prepare()) || !work->run()) return measured;
  CallCounts total{};
  for (int i = 0; i < probe.iterations; ++i) {
    if (work->prepare && !work->prepare()) return measured;
    const CallCounts before = call_counts();
    if (!work->run()) return measured;
    const CallCounts& after = call_counts();
    for (std::size_t c = 0; c < kSodiumCallCount; ++c) total[c] += after[c] - before[c];
  }
  for (std::size_t c = 0; c < kSodiumCallCount; ++c) {
    measured.counts[c] = total[c] / static_cast<std::uint64_t>(probe.iterations);
  }
  measured.ok = true;
  return measured;
}

std::string format_calls(const CallCounts& counts) {
  std::ostringstream out;
  for (std::size_t c = 0; c < kSodiumCallCount; ++c) {
    if (counts[c] == 0) continue;
    if (out.tellp() > 0) out << ' ';
    out << call_name(static_cast<SodiumCall>(c)) << '=' << counts[c];
  }
  return out.str();
}

std::string format_recipe(const CaseRecipe& recipe) {
  std::ostringstream out;
  for (const auto& item : recipe.items) {
    if (out.tellp() > 0) out << ' ';
    out << item.primitive << '*' << item.count;
  }
  return out.str();
}

void register_probe(const Probe& probe) {
  const bool is_case = probe.name.starts_with("Exile/");
  benchmark::RegisterBenchmark(probe.name.c_str(), [probe](benchmark::State& state) {
    auto work = probe.make();
    if (!work) return state.SkipWithError("setup failed");
    for (auto _ : state) {
      if (work->prepare) {
        state.PauseTiming();
        const bool prepared = work->prepare();
        state.ResumeTiming();
        if (!prepared) return state.SkipWithError("prepare failed");
      }
      if (!work->run()) return state.SkipWithError("run failed");
    }
  })->Unit(is_case ? benchmark::kMicrosecond : benchmark::kNanosecond);
}

}  // namespace

bool check_recipes_and_add_context() {
  std::map<std::string, CallCounts> primitive_calls;
  bool all_ok = true;
  for (const auto& probe : primitive_probes()) {
    const Measured m = count_calls(probe);
    if (!m.ok) {
      std::cerr << "recipe check: " << probe.name << " failed to run\n";
      all_ok = false;
      continue;
    }
    const auto slash = probe.name.find('/');
    primitive_calls[probe.name.substr(slash + 1)] = m.counts;
  }
  std::map<std::string, Measured> case_calls;
  for (const auto& probe : exile_probes()) case_calls[probe.name] = count_calls(probe);

  for (const auto& recipe : recipes()) {
    const std::string name = "Exile/" + std::string(recipe.exile_case);
    benchmark::AddCustomContext("exile.recipe." + std::string(recipe.exile_case),
                                format_recipe(recipe));
    const auto found = case_calls.find(name);
    std::string verdict;
    if (found == case_calls.end() || !found->second.ok) {
      verdict = "MISMATCH the case failed to run";
    } else {
      benchmark::AddCustomContext("exile.calls." + std::string(recipe.exile_case),
                                  format_calls(found->second.counts));
      std::array<double, kSodiumCallCount> expected{};
      for (const auto& item : recipe.items) {
        const auto p = primitive_calls.find(std::string(item.primitive));
        if (p == primitive_calls.end()) {
          verdict += "unknown primitive " + std::string(item.primitive) + "; ";
          continue;
        }
        for (std::size_t c = 0; c < kSodiumCallCount; ++c) {
          expected[c] += item.count * static_cast<double>(p->second[c]);
        }
      }
      for (std::size_t c = 0; c < kSodiumCallCount; ++c) {
        const auto call = static_cast<SodiumCall>(c);
        const auto counted = static_cast<double>(found->second.counts[c]);
        if (is_overhead(call) || std::abs(expected[c] - counted) < 1e-9) continue;
        std::ostringstream line;
        line << call_name(call) << " expected " << expected[c] << " counted " << counted << "; ";
        verdict += line.str();
      }
      verdict = verdict.empty() ? "ok" : "MISMATCH " + verdict;
    }
    if (verdict != "ok") {
      all_ok = false;
      std::cerr << "recipe check: " << name << ": " << verdict << '\n';
    }
    benchmark::AddCustomContext("exile.check." + std::string(recipe.exile_case), verdict);
  }
  return all_ok;
}

}  // namespace exile::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (const auto& probe : exile::bench::exile_probes()) exile::bench::register_probe(probe);
  for (const auto& probe : exile::bench::primitive_probes()) exile::bench::register_probe(probe);
  exile::bench::check_recipes_and_add_context();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
