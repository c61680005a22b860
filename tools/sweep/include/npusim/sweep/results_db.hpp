// The results database (SQLite; the schema is documented in docs/sweep.md):
//   sweeps  one row per run of `npusim sweep` (spec text, executor, time)
//   points  one row per point: identity, every hardware parameter, status,
//           simulated figures, host figures (primary key point_key)
//   layers  one row per layer of a point's last request (point_key, idx)
//   params  the hardware columns: unit, and whether compiled code depends on them
// Every point is written in one transaction with its layers, so a sweep
// killed at any moment leaves whole points only, and a re-run finds them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "npusim/sweep/point_result.hpp"
#include "npusim/sweep/points.hpp"

struct sqlite3;

namespace npusim::sweep {

class DbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A column value: NULL, INTEGER, REAL or TEXT.
using DbValue = std::variant<std::monostate, int64_t, double, std::string>;
using DbRow = std::vector<std::pair<std::string, DbValue>>;

// The points row of a point and its result, in column order. A failed
// point's figures are NULL.
DbRow point_row(const Point& p, const PointResult& r);

class ResultsDb {
 public:
  // Opens or creates the database and its tables; columns a newer build
  // added to `points` (a new hardware parameter) are added to an older file.
  explicit ResultsDb(const std::string& path);
  ~ResultsDb();
  ResultsDb(const ResultsDb&) = delete;
  ResultsDb& operator=(const ResultsDb&) = delete;

  // Records the start of a sweep; returns its id.
  int64_t begin_sweep(const SweepSpec& spec, const std::string& executor, size_t points);

  // Keys of the points with a row: "ok" ones, and failed ones too unless
  // `retry_failed`.
  std::set<std::string> done_keys(bool retry_failed) const;

  // Writes the point's row and layers in one transaction, replacing an
  // earlier (failed) row of the same point.
  void record(const Point& p, const PointResult& r, int64_t sweep_id);

  // Copies the points and layers of another results database (a Slurm
  // task's) that this one lacks, as rows of `sweep_id`; returns how many points.
  size_t merge(const std::string& other_path, int64_t sweep_id);

  size_t count_points() const;

  // "model mode label: error" for each failed point a sweep recorded.
  std::vector<std::string> failures(int64_t sweep_id) const;

  // Points and failed points in the database at `path`, read without
  // writing (a Slurm task may be writing it); zeros when it does not exist yet.
  static std::pair<size_t, size_t> count_results(const std::string& path);

  // The points (or layers) table as CSV with a header row.
  std::string csv(const std::string& table) const;

  const std::string& path() const { return path_; }

 private:
  void create_schema();
  void exec(const std::string& sql) const;
  std::vector<std::string> columns(const std::string& table) const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace npusim::sweep
