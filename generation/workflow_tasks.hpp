#pragma once
// Pre- and post-generation tasks (template, copy, math) and the graph's `replace` rules:
// how a request's data fills a workflow's graph in.

#include <string>

#include "common/json.hpp"

namespace mediagen {

/// Runs a task list (preGenerationTasks or postGenerationTasks) over the request data in order.
/// LLM tasks (`model`) are skipped. Returns "" or a sentence naming the failing task.
std::string run_workflow_tasks(const json::value* tasks, json::document& data);

/// Fills `{{field}}` placeholders from data; absent fields become "".
std::string fill_template(const std::string& text, const json::value& data);

/// Applies `replace` rules to `graph`. Returns "" or a sentence naming the failing rule.
std::string apply_replace(const json::value* rules, const json::value& data, json::document& graph);

} // namespace mediagen
