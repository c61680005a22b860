#include "npusim/sweep/results_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <sstream>

namespace npusim::sweep {

namespace {

// One prepared statement; errors name the database and the SQL's reason.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), int(sql.size()), &stmt_, nullptr) != SQLITE_OK)
      throw DbError(std::string(sqlite3_db_filename(db, "main")) + ": " + sqlite3_errmsg(db) +
                    " in: " + sql.substr(0, 200));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, const DbValue& v) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(v)) rc = sqlite3_bind_null(stmt_, index);
    if (const auto* i = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(stmt_, index, *i);
    if (const auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(stmt_, index, *d);
    if (const auto* s = std::get_if<std::string>(&v))
      rc = sqlite3_bind_text(stmt_, index, s->c_str(), int(s->size()), SQLITE_TRANSIENT);
    check(rc);
  }

  // Runs to the next row; false when done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(rc);
    return false;
  }

  // Ready to run again with new values.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int columns() const { return sqlite3_column_count(stmt_); }
  std::string name(int col) const { return sqlite3_column_name(stmt_, col); }
  int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    const auto* t = sqlite3_column_text(stmt_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  bool null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
      throw DbError(std::string(sqlite3_db_filename(db_, "main")) + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::string sql_type(const DbValue& v) {
  if (std::holds_alternative<int64_t>(v)) return "INTEGER";
  if (std::holds_alternative<double>(v)) return "REAL";
  return "TEXT";
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string shapes_text(const Point& p) {
  std::string s;
  for (const auto& [name, dims] : p.input_shapes) {
    s += (s.empty() ? "" : " ") + name + "=";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  }
  return s;
}

// Every hardware parameter as a column: numbers in their base unit
// (isa::param_numbers), the rest (preset, array, dataflow) as text.
void hardware_columns(const isa::HwParams& hw, DbRow& row) {
  const auto numbers = isa::param_numbers(hw);
  const auto number = [&](const std::string& key) -> const isa::ParamNumber* {
    for (const auto& n : numbers)
      if (n.key == key) return &n;
    return nullptr;
  };
  for (const auto& [key, text] : isa::describe(hw)) {
    if (const auto* n = number(key)) {
      row.emplace_back(key, int64_t(n->value));
      continue;
    }
    row.emplace_back(key, text);
    if (key == "array") {
      row.emplace_back("array_rows", int64_t(hw.array_rows));
      row.emplace_back("array_cols", int64_t(hw.array_cols));
    }
  }
}

void figure_columns(const PointResult& r, DbRow& row) {
  const bool ok = r.status == "ok";
  const auto real = [&](const char* name, double v) {
    row.emplace_back(name, ok ? DbValue(v) : DbValue());
  };
  const auto integer = [&](const char* name, uint64_t v) {
    row.emplace_back(name, ok ? DbValue(int64_t(v)) : DbValue());
  };
  real("latency_mean_us", r.latency_mean_us);
  real("latency_p50_us", r.latency_p50_us);
  real("latency_p99_us", r.latency_p99_us);
  real("latency_min_us", r.latency_min_us);
  real("latency_max_us", r.latency_max_us);
  real("qps", r.qps);
  real("span_us", r.span_us);
  real("host_us", r.host_us);
  real("h2d_us", r.h2d_us);
  real("compute_us", r.compute_us);
  real("d2h_us", r.d2h_us);
  real("npu_pct", r.npu_pct);
  real("comp_pct", r.comp_pct);
  real("io_pct", r.io_pct);
  integer("pe_cycles", r.pe_cycles);
  integer("task_cycles", r.task_cycles);
  integer("tensor_cycles", r.tensor_cycles);
  integer("dma_busy_cycles", r.dma_busy_cycles);
  integer("dram_bytes", r.dram_bytes);
  integer("dram_use_bytes", r.dram_use_bytes);
  integer("sram_use_bytes", r.sram_use_bytes);
  integer("npu_layers", r.npu_layers);
  integer("cpu_layers", r.cpu_layers);
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "\"" : ", \"") + n + "\"";
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

const char* kLayerColumns =
    "point_key TEXT NOT NULL, idx INTEGER NOT NULL, segment TEXT, name TEXT, op TEXT, "
    "unit TEXT, reason TEXT, cycles INTEGER, time_us REAL, macs INTEGER, dma_bytes INTEGER, "
    "utilisation REAL, start_us REAL, end_us REAL, PRIMARY KEY (point_key, idx)";

}  // namespace

DbRow point_row(const Point& p, const PointResult& r) {
  DbRow row = {{"point_key", p.key},
               {"model", p.model},
               {"model_path", p.model_path},
               {"model_hash", p.model_hash},
               {"input_shapes", shapes_text(p)},
               {"mode", mode_name(p.mode)},
               {"devices", mode_devices(p.mode)},
               {"workload", p.workload.kind},
               {"workers", int64_t(p.workload.workers)},
               {"queries", int64_t(p.workload.queries)},
               {"timing_only", int64_t(!p.arithmetic)},
               {"label", p.label()}};
  hardware_columns(p.hw, row);
  row.emplace_back("status", r.status);
  row.emplace_back("error", r.error);
  figure_columns(r, row);
  row.emplace_back("compile_ms", r.compile_ms);
  row.emplace_back("cache_hit", int64_t(r.cache_hit));
  row.emplace_back("host_ms", r.host_ms);
  row.emplace_back("host", r.host);
  return row;
}

ResultsDb::ResultsDb(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw DbError(path + ": cannot open the results database: " + why);
  }
  sqlite3_busy_timeout(db_, 60'000);  // Slurm tasks' shards are read while written
  try {
    create_schema();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

ResultsDb::~ResultsDb() {
  sqlite3_close(db_);
}

void ResultsDb::exec(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error ? error : "unknown error";
    sqlite3_free(error);
    throw DbError(path_ + ": " + why);
  }
}

std::vector<std::string> ResultsDb::columns(const std::string& table) const {
  Statement s(db_, "PRAGMA table_info(\"" + table + "\")");
  std::vector<std::string> names;
  while (s.step()) names.push_back(s.text(1));
  return names;
}

void ResultsDb::create_schema() {
  exec(
      "CREATE TABLE IF NOT EXISTS sweeps (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, "
      "spec_path TEXT, spec_text TEXT, swept_keys TEXT, executor TEXT, points INTEGER, "
      "started_at TEXT)");
  exec(std::string("CREATE TABLE IF NOT EXISTS layers (") + kLayerColumns + ")");
  exec(
      "CREATE TABLE IF NOT EXISTS params (key TEXT PRIMARY KEY, unit TEXT, "
      "program_relevant INTEGER)");
  const DbRow sample = point_row(Point{}, PointResult{});
  std::string create = "CREATE TABLE IF NOT EXISTS points (";
  for (const auto& [name, value] : sample)
    create +=
        "\"" + name + "\" " + sql_type(value) + (name == "point_key" ? " PRIMARY KEY" : "") + ", ";
  exec(create + "sweep_id INTEGER, finished_at TEXT)");
  // A database written by an older build lacks the columns of newer parameters.
  const auto have = columns("points");
  for (const auto& [name, value] : sample)
    if (std::find(have.begin(), have.end(), name) == have.end())
      exec("ALTER TABLE points ADD COLUMN \"" + name + "\" " + sql_type(value));
  const auto& relevant = isa::program_relevant_keys();
  for (const auto& n : isa::param_numbers(isa::HwParams{})) {
    const std::string canonical = n.key == "array_rows" || n.key == "array_cols" ? "array" : n.key;
    Statement s(db_, "INSERT OR REPLACE INTO params VALUES (?, ?, ?)");
    s.bind(1, n.key);
    s.bind(2, n.unit);
    s.bind(3, int64_t(std::count(relevant.begin(), relevant.end(), canonical)));
    s.step();
  }
}

int64_t ResultsDb::begin_sweep(const SweepSpec& spec, const std::string& executor, size_t points) {
  std::string swept;
  for (const auto& k : spec.swept_keys()) swept += (swept.empty() ? "" : ",") + k;
  Statement s(db_,
              "INSERT INTO sweeps (name, spec_path, spec_text, swept_keys, executor, points, "
              "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const DbValue values[] = {spec.name, spec.path,       spec.text, swept,
                            executor,  int64_t(points), utc_now()};
  for (int i = 0; i < 7; ++i) s.bind(i + 1, values[i]);
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

std::set<std::string> ResultsDb::done_keys(bool retry_failed) const {
  Statement s(db_, retry_failed ? "SELECT point_key FROM points WHERE status = 'ok'"
                                : "SELECT point_key FROM points");
  std::set<std::string> keys;
  while (s.step()) keys.insert(s.text(0));
  return keys;
}

void ResultsDb::record(const Point& p, const PointResult& r, int64_t sweep_id) {
  DbRow row = point_row(p, r);
  row.emplace_back("sweep_id", sweep_id);
  row.emplace_back("finished_at", utc_now());
  std::vector<std::string> names;
  for (const auto& [name, value] : row) names.push_back(name);
  exec("BEGIN IMMEDIATE");
  try {
    Statement drop(db_, "DELETE FROM layers WHERE point_key = ?");
    drop.bind(1, p.key);
    drop.step();
    std::string placeholders = "?";
    for (size_t i = 1; i < names.size(); ++i) placeholders += ", ?";
    Statement insert(db_, "INSERT OR REPLACE INTO points (" + quoted_list(names) + ") VALUES (" +
                              placeholders + ")");
    for (size_t i = 0; i < row.size(); ++i) insert.bind(int(i + 1), row[i].second);
    insert.step();
    Statement layer(db_, "INSERT INTO layers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (size_t i = 0; i < r.layers.size(); ++i) {
      const runtime::LayerRow& l = r.layers[i];
      const DbValue values[] = {p.key,
                                int64_t(i),
                                l.segment,
                                l.name,
                                l.op,
                                l.unit,
                                l.reason,
                                int64_t(l.cycles),
                                l.time_us,
                                int64_t(l.macs),
                                int64_t(l.dma_bytes),
                                l.utilisation,
                                double(l.start_ps) / 1e6,
                                double(l.end_ps) / 1e6};
      for (int k = 0; k < 14; ++k) layer.bind(k + 1, values[k]);
      layer.step();
      layer.reset();
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

size_t ResultsDb::merge(const std::string& other_path, int64_t sweep_id) {
  Statement attach(db_, "ATTACH DATABASE ? AS shard");
  attach.bind(1, other_path);
  attach.step();
  size_t merged = 0;
  try {
    exec("BEGIN IMMEDIATE");
    std::vector<std::string> shared;
    {
      Statement info(db_, "PRAGMA shard.table_info(points)");
      std::vector<std::string> theirs;
      while (info.step()) theirs.push_back(info.text(1));
      for (const auto& c : columns("points"))
        if (c != "sweep_id" && std::find(theirs.begin(), theirs.end(), c) != theirs.end())
          shared.push_back(c);
    }
    const std::string cols = quoted_list(shared);
    Statement count(db_,
                    "SELECT count(*) FROM shard.points WHERE point_key NOT IN "
                    "(SELECT point_key FROM main.points)");
    count.step();
    merged = size_t(count.int64(0));
    exec(
        "INSERT OR IGNORE INTO main.layers SELECT * FROM shard.layers WHERE point_key NOT IN "
        "(SELECT point_key FROM main.points)");
    exec("INSERT OR IGNORE INTO main.points (" + cols + ", sweep_id) SELECT " + cols + ", " +
         std::to_string(sweep_id) + " FROM shard.points");
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    exec("DETACH DATABASE shard");
    throw;
  }
  exec("DETACH DATABASE shard");
  return merged;
}

size_t ResultsDb::count_points() const {
  Statement s(db_, "SELECT count(*) FROM points");
  s.step();
  return size_t(s.int64(0));
}

std::vector<std::string> ResultsDb::failures(int64_t sweep_id) const {
  Statement s(db_,
              "SELECT model, mode, label, error FROM points WHERE status != 'ok' AND sweep_id = ? "
              "ORDER BY rowid");
  s.bind(1, sweep_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0) + " " + s.text(1) + " " + s.text(2) + ": " + s.text(3));
  return out;
}

std::pair<size_t, size_t> ResultsDb::count_results(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return {0, 0};
  }
  sqlite3_busy_timeout(db, 10'000);
  std::pair<size_t, size_t> counts{0, 0};
  try {
    Statement s(db, "SELECT count(*), coalesce(sum(status != 'ok'), 0) FROM points");
    if (s.step()) counts = {size_t(s.int64(0)), size_t(s.int64(1))};
  } catch (const DbError&) {
    // not created yet by the task
  }
  sqlite3_close(db);
  return counts;
}

std::string ResultsDb::csv(const std::string& table) const {
  if (table != "points" && table != "layers") throw DbError("no table " + table);
  Statement s(db_, "SELECT * FROM " + table + " ORDER BY rowid");
  std::ostringstream out;
  for (int c = 0; c < s.columns(); ++c) out << (c ? "," : "") << csv_field(s.name(c));
  out << "\n";
  while (s.step()) {
    for (int c = 0; c < s.columns(); ++c) out << (c ? "," : "") << csv_field(s.text(c));
    out << "\n";
  }
  return out.str();
}

}  // namespace npusim::sweep
