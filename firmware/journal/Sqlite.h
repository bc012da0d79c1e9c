#pragma once
// Internal to the journal module: small RAII wrappers over the SQLite C API. Not part of the
// module's interface (SQLite is PRIVATE to sentinel::journal); never include it from outside.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "firmware/base/Result.h"

namespace sentinel::journal::detail {

class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool valid() const { return stmt_ != nullptr; }
    int prepareCode() const { return prepareRc_; }

    // Parameters are 1-based, as in SQLite.
    void bind(int index, std::int64_t value);
    void bind(int index, double value);
    void bind(int index, std::string_view text);
    void bind(int index, const std::optional<double>& value);
    void bindNull(int index);
    void bindBlob(int index, std::string_view bytes);

    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step();
    void reset();

    std::int64_t columnInt(int column) const;
    double columnDouble(int column) const;
    std::string columnText(int column) const;
    bool columnIsNull(int column) const;
    std::optional<double> columnOptDouble(int column) const;
    std::optional<std::string> columnOptText(int column) const;
    int columnType(int column) const;  // SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB
    std::string columnBlob(int column) const;

private:
    sqlite3_stmt* stmt_ = nullptr;
    int prepareRc_ = SQLITE_OK;
};

class Connection {
public:
    Connection() = default;
    ~Connection();
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // flags: SQLITE_OPEN_* ; vfs: nullptr = the default VFS. The error names the file.
    static Result<Connection> open(const std::filesystem::path& path, int flags, const char* vfs = nullptr);

    sqlite3* get() const { return db_; }
    bool isOpen() const { return db_ != nullptr; }
    void close();

    // Runs one or more statements without results; the error holds SQLite's message.
    Status exec(std::string_view sql);
    // The first column of the first row of a single-value query (e.g. a PRAGMA).
    Result<std::int64_t> queryInt(std::string_view sql);
    Result<std::string> queryText(std::string_view sql);

    Statement prepare(std::string_view sql) const { return Statement(db_, sql); }
    // "<what>: <sqlite message> (code N)".
    Error error(std::string_view what) const;
    int extendedErrorCode() const { return db_ ? sqlite3_extended_errcode(db_) : SQLITE_MISUSE; }
    // After a failed write: leaves no transaction open on this connection.
    void rollbackIfInTransaction();

private:
    sqlite3* db_ = nullptr;
};

// True for the result codes that say the file is not a usable database (damage, not I/O).
bool isDamageCode(int rc);

}  // namespace sentinel::journal::detail
