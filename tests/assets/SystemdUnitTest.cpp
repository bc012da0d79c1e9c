// Issue 24, item 7: the shipped systemd unit must let the service write every folder the docs tell
// a technician to configure (the metrics textfile, `png:`/`wav:` troubleshooting folders, the
// state folder) — and not hide them (PrivateTmp= gives the service its own /tmp, which the
// technician's shell never sees). Parses assets/systemd/sentinel.service and the docs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace sentinel {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = SENTINEL_SOURCE_DIR;

std::string readText(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The [Service] settings of a unit: key → every value given (in order; a repeated key adds).
std::multimap<std::string, std::string> serviceSettings(const std::string& unit) {
    std::multimap<std::string, std::string> out;
    std::istringstream in(unit);
    std::string section;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line[0] == '[') {
            section = line;
            continue;
        }
        const auto eq = line.find('=');
        if (section == "[Service]" && eq != std::string::npos)
            out.emplace(line.substr(0, eq), line.substr(eq + 1));
    }
    return out;
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

bool under(const fs::path& path, const fs::path& root) {
    const auto p = path.lexically_normal().string(), r = root.lexically_normal().string();
    return p == r || (p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/');
}

// What a unit lets its service write and what it hides from everyone else.
struct Sandbox {
    bool strict = false;             // ProtectSystem=strict: everything read-only but the below
    std::vector<fs::path> writable;  // ReadWritePaths=, StateDirectory=, RuntimeDirectory=, …
    std::vector<fs::path> hidden;    // PrivateTmp= (/tmp, /var/tmp), ProtectHome= (/home, /root)

    // Empty when the service can write `folder` where a technician finds it; else why not.
    std::string refuses(const fs::path& folder) const {
        for (const auto& h : hidden) {
            if (under(folder, h))
                return h.string() +
                       " is private to the service (PrivateTmp=/ProtectHome=): nobody else sees it";
        }
        if (!strict) return {};
        for (const auto& w : writable) {
            if (under(folder, w)) return {};
        }
        return "ProtectSystem=strict and no ReadWritePaths=/StateDirectory= covers it";
    }
};

Sandbox sandboxOf(const std::string& unit) {
    const auto s = serviceSettings(unit);
    Sandbox box;
    auto all = [&](const std::string& key) {
        std::vector<std::string> out;
        for (auto [it, end] = s.equal_range(key); it != end; ++it) {
            for (auto& w : words(it->second)) out.push_back(w);
        }
        return out;
    };
    for (const auto& v : all("ProtectSystem")) box.strict = box.strict || v == "strict";
    for (auto p : all("ReadWritePaths")) box.writable.emplace_back(p[0] == '-' ? p.substr(1) : p);
    for (const auto& [key, root] :
         {std::pair{"StateDirectory", "/var/lib"}, std::pair{"RuntimeDirectory", "/run"},
          std::pair{"CacheDirectory", "/var/cache"}, std::pair{"LogsDirectory", "/var/log"}}) {
        for (const auto& d : all(key)) box.writable.push_back(fs::path(root) / d);
    }
    for (const auto& v : all("PrivateTmp")) {
        if (v == "yes" || v == "true") box.hidden.insert(box.hidden.end(), {"/tmp", "/var/tmp"});
    }
    for (const auto& v : all("ProtectHome")) {
        if (v == "yes" || v == "true" || v == "tmpfs" || v == "read-only")
            box.hidden.insert(box.hidden.end(), {"/home", "/root"});
    }
    for (auto p : all("InaccessiblePaths")) box.hidden.emplace_back(p[0] == '-' ? p.substr(1) : p);
    return box;
}

// A folder the docs tell someone to configure for the service, and where.
struct Documented {
    std::string where;  // "docs/troubleshooting.md:87"
    std::string what;   // as written
    fs::path folder;
};

// Every folder the service would write that the docs and the example configuration name: the
// `png:DIR` / `wav:DIR` backends, the metrics textfile's folder, state_dir and journal examples.
std::vector<Documented> documentedFolders() {
    std::vector<fs::path> files{kSource / "assets" / "config" / "sentinel.toml",
                                kSource / "README.md"};
    for (const auto& e : fs::directory_iterator(kSource / "docs")) {
        if (e.path().extension() == ".md") files.push_back(e.path());
    }
    const std::regex backend(R"((?:png|wav):(/[^\s"`'),]+))");
    const std::regex textfile(R"((/[^\s"`'),]+\.prom)\b)");
    const std::regex stateKeys(R"re((?:state_dir|path)\s*=\s*"(/var/[^"]+)")re");
    std::vector<Documented> out;
    for (const auto& f : files) {
        std::istringstream in(readText(f));
        int n = 0;
        for (std::string line; std::getline(in, line);) {
            ++n;
            const std::string where = fs::relative(f, kSource).string() + ":" + std::to_string(n);
            for (std::sregex_iterator m(line.begin(), line.end(), backend), end; m != end; ++m) {
                out.push_back({where, m->str(), fs::path((*m)[1].str())});
            }
            for (std::sregex_iterator m(line.begin(), line.end(), textfile), end; m != end; ++m) {
                out.push_back({where, m->str(), fs::path((*m)[1].str()).parent_path()});
            }
            for (std::sregex_iterator m(line.begin(), line.end(), stateKeys), end; m != end; ++m) {
                const fs::path p = (*m)[1].str();
                out.push_back({where, m->str(), p.has_extension() ? p.parent_path() : p});
            }
        }
    }
    return out;
}

TEST(SystemdUnit, TheParserSeesWhatTheUnitAllowsAndHides) {
    const Sandbox box = sandboxOf(
        "[Service]\nProtectSystem=strict\nReadWritePaths=/var/lib/a "
        "-/srv/b\nStateDirectory=sentinel\nPrivateTmp=yes\n");
    EXPECT_TRUE(box.refuses("/var/lib/a/x").empty());
    EXPECT_TRUE(box.refuses("/srv/b").empty());
    EXPECT_TRUE(box.refuses("/var/lib/sentinel/screens").empty());
    EXPECT_FALSE(box.refuses("/var/lib/prometheus/node-exporter").empty());
    EXPECT_FALSE(box.refuses("/tmp/screens").empty());
    EXPECT_FALSE(box.refuses("/var/lib/ab").empty())
        << "a sibling with a common prefix is not under /var/lib/a";
}

TEST(SystemdUnit, TheDocsNameTheFoldersATechnicianConfigures) {
    std::vector<std::string> found;
    for (const auto& d : documentedFolders()) found.push_back(d.folder.string());
    EXPECT_THAT(found, ::testing::Contains("/var/lib/prometheus/node-exporter"))
        << "docs/fleet.md's textfile example";
    EXPECT_THAT(found, ::testing::Contains(::testing::HasSubstr("/screens")))
        << "troubleshooting.md's png: folder";
    EXPECT_THAT(found, ::testing::Contains(::testing::HasSubstr("/voice")))
        << "troubleshooting.md's wav: folder";
}

TEST(SystemdUnit, TheShippedUnitLetsTheServiceWriteEveryDocumentedFolder) {
    const std::string unit = readText(kSource / "assets" / "systemd" / "sentinel.service");
    ASSERT_FALSE(unit.empty());
    const Sandbox box = sandboxOf(unit);
    for (const auto& d : documentedFolders()) {
        EXPECT_EQ("", box.refuses(d.folder))
            << d.where << ": `" << d.what << "` → " << d.folder.string();
    }
}

TEST(SystemdUnit, TheUnitChecksTheConfigurationBeforeRunning) {
    const auto s = serviceSettings(readText(kSource / "assets" / "systemd" / "sentinel.service"));
    ASSERT_EQ(1u, s.count("ExecStartPre"));
    EXPECT_THAT(s.find("ExecStartPre")->second, ::testing::HasSubstr("sentinel config check"))
        << "config check refuses exactly what run would (kiosk::checkStartable): no restart loop";
}

}  // namespace
}  // namespace sentinel
