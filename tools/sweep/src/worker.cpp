#include "npusim/sweep/worker.hpp"

#include <unistd.h>

#include <cstdio>
#include <ext/stdio_filebuf.h>
#include <iostream>
#include <string>

#include "npusim/sweep/point_run.hpp"

namespace npusim::sweep {

nlohmann::json job_message(JobKind kind, const Point& p) {
  return {{"job", kind == JobKind::kRun ? "run" : "compile"}, {"point", to_json(p)}};
}

int serve_jobs(std::istream& in, std::ostream& out) {
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json answer;
    try {
      const nlohmann::json job = nlohmann::json::parse(line);
      const Point p = point_from_json(job.at("point"));
      const bool run = job.at("job") == "run";
      answer = {{"job", job.at("job")},
                {"key", p.key},
                {"result", to_json(run ? run_point(p) : compile_point(p))}};
    } catch (const std::exception& e) {
      std::cerr << "npusim sweep --worker: bad job: " << e.what() << "\n";
      return 2;
    }
    out << answer.dump() << "\n" << std::flush;
    if (!out) return 1;
  }
  return 0;
}

int worker_main() {
  // Answers go to the original stdout; fd 1 becomes stderr for everything else.
  const int answers = ::dup(STDOUT_FILENO);
  if (answers < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::perror("npusim sweep --worker");
    return 1;
  }
  __gnu_cxx::stdio_filebuf<char> buffer(answers, std::ios::out);
  std::ostream out(&buffer);
  return serve_jobs(std::cin, out);
}

}  // namespace npusim::sweep
