// Runs a libFuzzer target without libFuzzer, so that every fuzz target is also exercised by
// ctest under GCC and ASan+UBSan on each CI run (the coverage-guided runs are scripts/fuzz).
//
// Usage: fuzz_replay_<target> [ITERATIONS] [SEED_DIR...]
// Feeds every file in the seed directories, then ITERATIONS inputs made deterministically
// from them: random bytes, truncations, bit flips, byte insertions and splices.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Input = std::vector<std::uint8_t>;

void run(const Input& input) { LLVMFuzzerTestOneInput(input.data(), input.size()); }

Input mutate(const std::vector<Input>& pool, std::mt19937_64& gen) {
  std::uniform_int_distribution<int> choice(0, 5);
  std::uniform_int_distribution<int> byte(0, 255);
  Input base;
  if (!pool.empty()) base = pool[gen() % pool.size()];
  switch (choice(gen)) {
    case 0: {  // fresh random bytes
      Input r(gen() % 512);
      for (auto& b : r) b = static_cast<std::uint8_t>(byte(gen));
      return r;
    }
    case 1:  // truncation
      if (!base.empty()) base.resize(gen() % base.size());
      return base;
    case 2:  // bit flips
      for (int i = 0, n = 1 + static_cast<int>(gen() % 4); i < n && !base.empty(); ++i) {
        base[gen() % base.size()] ^= static_cast<std::uint8_t>(1u << (gen() % 8));
      }
      return base;
    case 3:  // insertion
      base.insert(
          base.begin() + static_cast<std::ptrdiff_t>(base.empty() ? 0 : gen() % base.size()),
          static_cast<std::uint8_t>(byte(gen)));
      return base;
    case 4: {  // splice with another input
      if (pool.size() < 2 || base.empty()) return base;
      const Input& other = pool[gen() % pool.size()];
      base.resize(gen() % base.size());
      base.insert(base.end(), other.begin() + static_cast<std::ptrdiff_t>(other.size() / 2),
                  other.end());
      return base;
    }
    default:  // byte overwrite
      for (int i = 0, n = 1 + static_cast<int>(gen() % 8); i < n && !base.empty(); ++i) {
        base[gen() % base.size()] = static_cast<std::uint8_t>(byte(gen));
      }
      return base;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 2000;
  std::vector<Input> pool;
  for (int i = 2; i < argc; ++i) {
    if (!std::filesystem::is_directory(argv[i])) continue;
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      std::ifstream in(entry.path(), std::ios::binary);
      pool.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  run({});
  for (const auto& seed : pool) run(seed);
  std::mt19937_64 gen(20261128);
  for (long i = 0; i < iterations; ++i) {
    Input input = mutate(pool, gen);
    run(input);
    if (pool.size() < 256) pool.push_back(std::move(input));
  }
  std::printf("replayed %zu seeds and %ld generated inputs\n", pool.size(), iterations);
  return 0;
}
