#include "firmware/journal/Sqlite.h"

#include <utility>

namespace sentinel::journal::detail {

Statement::Statement(sqlite3* db, std::string_view sql) {
    prepareRc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
    if (prepareRc_ != SQLITE_OK) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
    }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), prepareRc_(other.prepareRc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
        prepareRc_ = other.prepareRc_;
    }
    return *this;
}

void Statement::bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void Statement::bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}
void Statement::bind(int index, const std::optional<double>& value) {
    if (value) {
        bind(index, *value);
    } else {
        bindNull(index);
    }
}
void Statement::bindNull(int index) { sqlite3_bind_null(stmt_, index); }
void Statement::bindBlob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

int Statement::step() { return stmt_ ? sqlite3_step(stmt_) : SQLITE_MISUSE; }

void Statement::reset() {
    if (stmt_) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

std::int64_t Statement::columnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::columnDouble(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::columnText(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (!text) return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}
bool Statement::columnIsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
std::optional<double> Statement::columnOptDouble(int column) const {
    if (columnIsNull(column)) return std::nullopt;
    return columnDouble(column);
}
std::optional<std::string> Statement::columnOptText(int column) const {
    if (columnIsNull(column)) return std::nullopt;
    return columnText(column);
}

int Statement::columnType(int column) const { return sqlite3_column_type(stmt_, column); }
std::string Statement::columnBlob(int column) const {
    const auto* data = sqlite3_column_blob(stmt_, column);
    if (!data) return {};
    return std::string(static_cast<const char*>(data), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Connection::~Connection() { close(); }

Connection::Connection(Connection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

Result<Connection> Connection::open(const std::filesystem::path& path, int flags, const char* vfs) {
    Connection c;
    int rc = sqlite3_open_v2(path.c_str(), &c.db_, flags, vfs);
    if (rc != SQLITE_OK) {
        std::string message = c.db_ ? sqlite3_errmsg(c.db_) : sqlite3_errstr(rc);
        return makeError("cannot open " + path.string() + ": " + message);
    }
    sqlite3_extended_result_codes(c.db_, 1);
    return c;
}

void Connection::close() {
    if (db_) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
    }
}

Status Connection::exec(std::string_view sql) {
    std::string owned(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return makeError(text + " (code " + std::to_string(sqlite3_extended_errcode(db_)) + ")");
    }
    return Ok{};
}

Result<std::int64_t> Connection::queryInt(std::string_view sql) {
    Statement s = prepare(sql);
    if (!s.valid()) return error("prepare");
    int rc = s.step();
    if (rc == SQLITE_ROW) return s.columnInt(0);
    if (rc == SQLITE_DONE) return makeError("no row for: " + std::string(sql));
    return error("query");
}

Result<std::string> Connection::queryText(std::string_view sql) {
    Statement s = prepare(sql);
    if (!s.valid()) return error("prepare");
    int rc = s.step();
    if (rc == SQLITE_ROW) return s.columnText(0);
    if (rc == SQLITE_DONE) return makeError("no row for: " + std::string(sql));
    return error("query");
}

Error Connection::error(std::string_view what) const {
    std::string message = db_ ? sqlite3_errmsg(db_) : "no connection";
    return makeError(std::string(what) + ": " + message + " (code " + std::to_string(extendedErrorCode()) + ")");
}

void Connection::rollbackIfInTransaction() {
    if (db_ && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

bool isDamageCode(int rc) {
    int primary = rc & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

}  // namespace sentinel::journal::detail
