// parse_object_taking(): the ERA R2 PUT's base64 field read from the body without the JSON
// lexer, with every other shape falling back to a full parse — so the answer is always what
// parse_object() says.
#include <catch2/catch.hpp>

#include "api/json_io.h"

using namespace era;
using namespace era::api;

TEST_CASE("json io: a large string member is taken out, the rest parsed", "[http][json]") {
  auto r = parse_object_taking(R"( {"metadata": {"a": [1, {"b": "}"}]}, "content" : "QUJD", "n": 1.5e3, "t": true} )", "content");
  REQUIRE(r);
  CHECK(r->taken);
  CHECK(r->field == "QUJD");
  CHECK(r->object["content"] == "");
  CHECK(r->object["metadata"]["a"][1]["b"] == "}");
  CHECK(r->object["n"] == 1500.0);
  CHECK(r->object["t"] == true);

  // Shapes that fall back to the full parse (same result as parse_object).
  for (const char* body : {R"({"content": "QU\/J"})",          // an escape in the value
                           R"({"con\u0074ent": "QUJD"})",       // an escaped key
                           R"({"content": "QQ", "content": "QUJD"})",  // twice
                           R"({"content": 5})",                 // not a string
                           R"({"other": "x"})"}) {              // absent
    INFO(body);
    auto f = parse_object_taking(body, "content");
    REQUIRE(f);
    CHECK_FALSE(f->taken);
    CHECK(f->object == *parse_object(body));
  }
  // Broken JSON stays an error, whichever way it is read.
  for (const char* bad : {R"({"content": "QUJD")", R"({"content": "QUJD",})", R"({"content": "QUJD"} x)", R"([1])",
                          R"({"content": "QUJD", "m": {"a": [}})"}) {
    INFO(bad);
    CHECK_FALSE(parse_object_taking(bad, "content"));
  }
}
