// `era-emu fault {add ...,list,rm ID,clear}`
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {
namespace {

void print_rule(const json& r) {
  std::cout << r.value("id", "?") << "  " << r.value("service", "*") << "." << r.value("op", "*") << " ns="
            << r.value("namespace", "*") << " key=" << r.value("key", "*");
  if (r.contains("client")) std::cout << " client=" << r["client"].get<std::string>();
  if (r.contains("location")) std::cout << " location=" << r["location"].get<std::string>();
  if (r.contains("action")) std::cout << "  " << r["action"].dump();
  if (r.contains("sequence")) std::cout << "  sequence " << r["sequence"].dump();
  std::cout << "  p=" << r.value("probability", 1.0) << " seed=" << r.value("seed", uint64_t(0))
            << "  matched=" << r.value("matched", 0) << " fired=" << r.value("fired", 0)
            << " remaining=" << (r["remaining"].is_null() ? std::string("unlimited") : r["remaining"].dump()) << "\n";
}

struct AddArgs {
  std::string rule_json;
  std::string service, op, ns, key, location, client, active_for;
  std::string type = "error", code, message;
  int status = 0;
  int64_t ms = -1, jitter_ms = -1, hold_ms = -1, after_bytes = -1, retry_after = -1;
  double probability = -1;
  int64_t seed = -1, after = -1, times = -1;
};

json build_rule(const AddArgs& a) {
  json r = json::object();
  auto s = [&](const char* k, const std::string& v) {
    if (!v.empty()) r[k] = v;
  };
  s("service", a.service);
  s("op", a.op);
  s("namespace", a.ns);
  s("key", a.key);
  s("location", a.location);
  s("client", a.client);
  json act = {{"type", a.type}};
  if (a.status) act["status"] = a.status;
  if (!a.code.empty()) act["code"] = a.code;
  if (!a.message.empty()) act["message"] = a.message;
  if (a.ms >= 0) act["ms"] = a.ms;
  if (a.jitter_ms >= 0) act["jitter_ms"] = a.jitter_ms;
  if (a.hold_ms >= 0) act["hold_ms"] = a.hold_ms;
  if (a.after_bytes >= 0) act["after_bytes"] = a.after_bytes;
  if (a.retry_after >= 0) act["retry_after"] = a.retry_after;
  r["action"] = act;
  if (a.probability >= 0) r["probability"] = a.probability;
  if (a.seed >= 0) r["seed"] = a.seed;
  if (a.after >= 0) r["after"] = a.after;
  if (a.times >= 0) r["times"] = a.times;
  if (!a.active_for.empty()) r["active_for"] = a.active_for;
  return r;
}

}  // namespace

void setup_fault(CLI::App& app) {
  auto* fault = app.add_subcommand("fault", "Add, list and remove fault rules");
  fault->require_subcommand(1);

  auto a = std::make_shared<AddArgs>();
  auto* add = fault->add_subcommand("add", "Add a rule, e.g. fault add --service kv --op get --key 'user:*' --status 503 --times 2");
  add->add_option("--rule", a->rule_json, "The whole rule as JSON (other options are then ignored)");
  add->add_option("--service", a->service, "kv | r2 | d1 | resources | * (default *)");
  add->add_option("--op", a->op, "get | put | delete | list | head | query | exec | batch | ... (default *)");
  add->add_option("--namespace,-n", a->ns, "Namespace glob (* and ?)");
  add->add_option("--key,-k", a->key, "Key glob (* and ?)");
  add->add_option("--location", a->location, "Only calls with this X-Era-Location");
  add->add_option("--client", a->client, "Only calls with this X-Era-Client header");
  add->add_option("--type,-t", a->type, "error | throttle | latency | timeout | reset | truncate | stale | lost_ack | ok")
      ->capture_default_str();
  add->add_option("--status", a->status, "HTTP status for error / lost_ack / timeout");
  add->add_option("--code", a->code, "Error code on the wire (default INJECTED)");
  add->add_option("--message", a->message, "Error message");
  add->add_option("--ms", a->ms, "latency: milliseconds");
  add->add_option("--jitter-ms", a->jitter_ms, "latency: up to this much extra (seeded)");
  add->add_option("--hold-ms", a->hold_ms, "timeout: hold the request this long");
  add->add_option("--after-bytes", a->after_bytes, "truncate: bytes sent before the body breaks");
  add->add_option("--retry-after", a->retry_after, "throttle: Retry-After seconds");
  add->add_option("--probability,-p", a->probability, "0..1 (default 1)");
  add->add_option("--seed", a->seed, "Seed for probability and jitter (replays exactly)");
  add->add_option("--after", a->after, "Skip the first N matching calls");
  add->add_option("--times", a->times, "Fire N times, then retire");
  add->add_option("--active-for", a->active_for, "Only for this long on the virtual clock (e.g. 5m)");
  auto c_add = add_conn_options(add);
  add->callback([a, c_add] {
    run_and_exit([&] {
      json rule;
      if (!a->rule_json.empty()) {
        rule = json::parse(a->rule_json, nullptr, false);
        if (rule.is_discarded()) {
          std::cerr << "era-emu: --rule is not valid JSON\n";
          return 2;
        }
      } else {
        rule = build_rule(*a);
      }
      return finish(*c_add, request(*c_add, "POST", "/_emu/faults", rule.dump()), [](const json& r) {
        std::cout << "added ";
        print_rule(r);
      });
    });
  });

  auto* list = fault->add_subcommand("list", "List rules with matched / fired / remaining");
  auto c_list = add_conn_options(list);
  list->callback([c_list] {
    run_and_exit([&] {
      return finish(*c_list, request(*c_list, "GET", "/_emu/faults"), [](const json& j) {
        if (j["faults"].empty()) std::cout << "(no fault rules)\n";
        for (const auto& r : j["faults"]) print_rule(r);
      });
    });
  });

  auto id = std::make_shared<std::string>();
  auto* rm = fault->add_subcommand("rm", "Remove one rule");
  rm->add_option("id", *id, "Rule id (from fault list)")->required();
  auto c_rm = add_conn_options(rm);
  rm->callback([id, c_rm] {
    run_and_exit([&] {
      return finish(*c_rm, request(*c_rm, "DELETE", "/_emu/faults/" + encode(*id)),
                    [&](const json&) { std::cout << "removed " << *id << "\n"; });
    });
  });

  auto* clear = fault->add_subcommand("clear", "Remove every rule");
  auto c_clear = add_conn_options(clear);
  clear->callback([c_clear] {
    run_and_exit([&] {
      return finish(*c_clear, request(*c_clear, "DELETE", "/_emu/faults"),
                    [](const json& j) { std::cout << "removed " << j.value("cleared", 0) << " rule(s)\n"; });
    });
  });
}

}  // namespace era::cli
