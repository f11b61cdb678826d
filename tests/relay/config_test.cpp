// Tests for exile-relay's configuration (src/relay/config.h): flags, the config file, and the
// rules that refuse a plain WebSocket off loopback.
#include "relay/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace exile::relay {
namespace {

using namespace std::chrono_literals;

Result<Config> parse(std::vector<std::string> args) { return parse_command_line(args); }

TEST(ConfigTest, Defaults) {
  auto config = parse({"--data", "/tmp/x"});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen.host, "127.0.0.1");
  EXPECT_EQ(config->listen.port, 7443);
  EXPECT_EQ(config->message_ttl, std::chrono::milliseconds(21 * 24h));
  EXPECT_EQ(config->idle_timeout, std::chrono::milliseconds(120s));
  EXPECT_EQ(config->ack_hold, std::chrono::milliseconds(250));
  EXPECT_EQ(config->max_connections, 20000U);
  EXPECT_EQ(config->queue_max_messages, 10000U);
  EXPECT_EQ(config->queue_max_bytes, 64ULL << 20);
  EXPECT_EQ(config->rate, 2000U);
  EXPECT_EQ(config->bundle_rate, 30U);
  EXPECT_EQ(config->first_contact_rate, 10U);
  EXPECT_EQ(config->push_window, 512U);
  EXPECT_FALSE(config->tls());
  EXPECT_FALSE(config->admin);
  EXPECT_FALSE(config->test_clock);
}

TEST(ConfigTest, Durations) {
  EXPECT_EQ(*parse_duration("21d"), std::chrono::milliseconds(21 * 24h));
  EXPECT_EQ(*parse_duration("120s"), std::chrono::milliseconds(120s));
  EXPECT_EQ(*parse_duration("120"), std::chrono::milliseconds(120s));
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("5m"), std::chrono::milliseconds(5min));
  EXPECT_EQ(*parse_duration("2h"), std::chrono::milliseconds(2h));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("3w"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("99999999999999999999d"));
}

TEST(ConfigTest, Endpoints) {
  auto e = parse_endpoint("127.0.0.1:0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 0);
  e = parse_endpoint("[::1]:7443");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7443);
  EXPECT_FALSE(parse_endpoint("127.0.0.1"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:65536"));
  EXPECT_FALSE(parse_endpoint("::1:80"));
  EXPECT_FALSE(parse_endpoint("[::1]80"));
}

TEST(ConfigTest, AllFlags) {
  auto config = parse({"--listen",
                       "127.0.0.1:0",
                       "--data",
                       "/d",
                       "--threads",
                       "3",
                       "--admin",
                       "127.0.0.1:9100",
                       "--message-ttl",
                       "2s",
                       "--idle-timeout=5s",
                       "--ack-hold",
                       "0",
                       "--max-connections",
                       "7",
                       "--queue-max-messages",
                       "8",
                       "--queue-max-bytes",
                       "9",
                       "--rate",
                       "10",
                       "--bundle-rate",
                       "11",
                       "--first-contact-rate",
                       "12",
                       "--push-window",
                       "13",
                       "--log-level",
                       "debug",
                       "--test-clock",
                       "/c"});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen.port, 0);
  EXPECT_EQ(config->threads, 3U);
  ASSERT_TRUE(config->admin);
  EXPECT_EQ(config->admin->port, 9100);
  EXPECT_EQ(config->message_ttl, std::chrono::milliseconds(2000));
  EXPECT_EQ(config->idle_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(config->ack_hold, std::chrono::milliseconds(0));
  EXPECT_EQ(config->max_connections, 7U);
  EXPECT_EQ(config->queue_max_messages, 8U);
  EXPECT_EQ(config->queue_max_bytes, 9U);
  EXPECT_EQ(config->rate, 10U);
  EXPECT_EQ(config->bundle_rate, 11U);
  EXPECT_EQ(config->first_contact_rate, 12U);
  EXPECT_EQ(config->push_window, 13U);
  EXPECT_EQ(config->log_level, log::Level::Debug);
  EXPECT_EQ(*config->test_clock, "/c");
}

TEST(ConfigTest, RefusesBadInput) {
  EXPECT_FALSE(parse({}));                                                   // no --data
  EXPECT_FALSE(parse({"--data"}));                                           // no value
  EXPECT_FALSE(parse({"--data", "/d", "--bogus", "1"}));                     // unknown flag
  EXPECT_FALSE(parse({"--data", "/d", "stray"}));                            // not a flag
  EXPECT_FALSE(parse({"--data", "/d", "--threads", "0"}));                   // at least one
  EXPECT_FALSE(parse({"--data", "/d", "--rate", "-3"}));                     // not a number
  EXPECT_FALSE(parse({"--data", "/d", "--bundle-rate", "0"}));               // at least one
  EXPECT_FALSE(parse({"--data", "/d", "--first-contact-rate", "1000001"}));  // at most 10^6
  EXPECT_FALSE(parse({"--data", "/d", "--push-window", "0"}));               // at least one
  EXPECT_FALSE(parse({"--data", "/d", "--push-window", "65537"}));           // at most 65536
  EXPECT_TRUE(parse({"--data", "/d", "--push-window", "65536"}));
  EXPECT_FALSE(parse({"--data", "/d", "--log-level", "loud"}));
  EXPECT_FALSE(parse({"--data", "/d", "--ack-hold", "2m"}));     // at most a minute
  EXPECT_FALSE(parse({"--data", "/d", "--tls-cert", "c.pem"}));  // key missing
  auto help = parse({"--help"});
  ASSERT_FALSE(help);
  EXPECT_NE(help.error().message.find("usage"), std::string::npos);
}

TEST(ConfigTest, PlainWebSocketOnlyOnLoopback) {
  EXPECT_TRUE(parse({"--data", "/d", "--listen", "127.0.0.1:1"}));
  EXPECT_TRUE(parse({"--data", "/d", "--listen", "[::1]:1"}));
  auto config = parse({"--data", "/d", "--listen", "0.0.0.0:7443"});
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("loopback"), std::string::npos);
  EXPECT_FALSE(parse({"--data", "/d", "--listen", "192.168.1.2:7443"}));
  EXPECT_TRUE(parse(
      {"--data", "/d", "--listen", "0.0.0.0:7443", "--tls-cert", "c.pem", "--tls-key", "k.pem"}));
  EXPECT_FALSE(parse({"--data", "/d", "--admin", "0.0.0.0:9100"}));
}

TEST(ConfigTest, ConfigFileWithFlagsWinning) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("exile-relay-config-" +
                     std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".conf");
  {
    std::ofstream out(file);
    out << "# exile-relay\n"
           "data = /from/file\n"
           "listen = 127.0.0.1:7000   # trailing comment\n"
           "\n"
           "rate = 50\n"
           "message-ttl = 7d\n";
  }
  auto config = parse({"--config", file.string(), "--rate", "60"});
  std::filesystem::remove(file);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->data_dir, "/from/file");
  EXPECT_EQ(config->listen.port, 7000);
  EXPECT_EQ(config->rate, 60U);  // the flag wins
  EXPECT_EQ(config->message_ttl, std::chrono::milliseconds(7 * 24h));
}

TEST(ConfigTest, ConfigFileErrorsNameTheLine) {
  Config config;
  auto r = apply_config_text(config, "rate = 5\nnonsense\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(apply_config_text(config, "color = blue\n"));
  EXPECT_FALSE(apply_config_text(config, "config = other.conf\n"));
  EXPECT_FALSE(parse({"--config", "/nonexistent/exile-relay.conf", "--data", "/d"}));
}

// Clients that do not read (relay-protocol.md §6): the socket send buffer and the budget.
TEST(ConfigTest, ClientBufferFlags) {
  auto defaults = parse({"--data", "/d"});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->socket_send_buffer, 131072U);
  EXPECT_EQ(defaults->client_buffer_budget, 64ULL << 20);
  auto set =
      parse({"--data", "/d", "--socket-send-buffer", "65536", "--client-buffer-budget", "1048576"});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->socket_send_buffer, 65536U);
  EXPECT_EQ(set->client_buffer_budget, 1048576U);
  auto off = parse({"--data", "/d", "--socket-send-buffer", "0"});  // the kernel's autotuning
  ASSERT_TRUE(off);
  EXPECT_EQ(off->socket_send_buffer, 0U);
  EXPECT_TRUE(parse({"--data", "/d", "--socket-send-buffer", "4096"}));
  EXPECT_TRUE(parse({"--data", "/d", "--socket-send-buffer", "67108864"}));
  EXPECT_FALSE(parse({"--data", "/d", "--socket-send-buffer", "4095"}));
  EXPECT_FALSE(parse({"--data", "/d", "--socket-send-buffer", "67108865"}));
  EXPECT_FALSE(parse({"--data", "/d", "--client-buffer-budget", "1048575"}));
  EXPECT_FALSE(parse({"--data", "/d", "--client-buffer-budget", "lots"}));
  Config config;
  ASSERT_TRUE(apply_config_text(config, "client-buffer-budget = 2097152\n"));
  EXPECT_EQ(config.client_buffer_budget, 2097152U);
}

}  // namespace
}  // namespace exile::relay
