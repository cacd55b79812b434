#include "core/time_util.h"

#include <catch2/catch.hpp>
#include <climits>

#include "core/clock.h"

using namespace era::core;

TEST_CASE("time: ISO-8601 round trip and offsets", "[core][time]") {
  CHECK(iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(parse_iso8601("2030-01-01T00:00:00Z") == 1893456000000);
  CHECK(parse_iso8601("2030-01-01T01:00:00+01:00") == 1893456000000);
  CHECK(parse_iso8601("2030-01-01T00:00:00.250Z") == 1893456000250);
  CHECK(*parse_iso8601(iso8601_ms(1700000000123)) == 1700000000123);
  CHECK_FALSE(parse_iso8601("2030-13-01T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("yesterday"));
}

TEST_CASE("time: HTTP dates and durations", "[core][time]") {
  CHECK(http_date(784111777000) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777000);
  CHECK(parse_duration_ms("90s") == 90000);
  CHECK(parse_duration_ms("1h30m") == 5400000);
  CHECK(parse_duration_ms("250ms") == 250);
  CHECK(parse_duration_ms("-2d") == -172800000);
  CHECK_FALSE(parse_duration_ms("soon"));
  // Past int64 milliseconds is refused, never wrapped to a negative duration.
  CHECK_FALSE(parse_duration_ms("99999999999999999h"));
  CHECK_FALSE(parse_duration_ms("99999999999999999999ms"));
  CHECK_FALSE(parse_duration_ms("9223372036854775807ms1ms"));
  CHECK(parse_duration_ms("9223372036854775807ms") == INT64_MAX);
}

TEST_CASE("clock: freeze, advance, set, resume", "[core][clock]") {
  Clock c;
  CHECK(c.mode() == Clock::Mode::real);
  c.set_ms(1893456000000);
  c.freeze();
  int64_t t = c.now_ms();
  CHECK(t >= 1893456000000);
  CHECK(t < 1893456000000 + 5000);
  c.advance_ms(61000);
  CHECK(c.now_ms() == t + 61000);
  c.set_ms(1000);
  CHECK(c.now_ms() == 1000);
  CHECK(c.mode() == Clock::Mode::frozen);
  c.resume();
  CHECK(c.mode() == Clock::Mode::offset);
  CHECK(c.now_ms() >= 1000);
  CHECK(c.now_ms() < 1000 + 5000);
  c.reset();
  CHECK(c.mode() == Clock::Mode::real);
}
