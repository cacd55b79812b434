#pragma once
// The D1 request and result shapes shared by the ERA D1 routes and /_emu/inspect/d1/{ns}/query.
#include <nlohmann/json.hpp>

#include "api/http.h"
#include "core/result.h"
#include "d1/engine.h"

namespace era::api {

using ojson = nlohmann::ordered_json;

// {"sql": string, "params"?: array|null} -> StatementInput (D1's errors for a bad shape).
Result<d1::StatementInput> statement_from(const nlohmann::json& obj);
// 200 with the document as JSON, keys in insertion order (a row's columns in SELECT order).
void send_ordered(Response& res, const ojson& body);

}  // namespace era::api
