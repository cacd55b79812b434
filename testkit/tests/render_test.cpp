#include <catch2/catch.hpp>

#include "render.h"

using namespace era::testkit;

TEST_CASE("testkit render: values are bare, quoted or shortened", "[testkit][render]") {
  CHECK(render::value("1") == "1");
  CHECK(render::value("a b") == "\"a b\"");
  CHECK(render::value("") == "\"\"");
  CHECK(render::value("k=v") == "\"k=v\"");
  CHECK(render::value(std::string(100, 'x')) == std::string(40, 'x') + "...(100 B)");
}

TEST_CASE("testkit render: expirations relative to the clock", "[testkit][render]") {
  CHECK(render::expires_in(1120, 1000000) == "+120s");
  CHECK(render::expires_in(1120, 1000500) == "+120s");  // rounds a part second up
  CHECK(render::expires_in(995, 1000000) == "-5s");
  CHECK(render::expires_in(1000 + 7200, 1000000) == "+2h");
  CHECK(render::expires_in(1000 + 86400, 1000000) == "+1d");
}
