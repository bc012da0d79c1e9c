#pragma once
// Personal data has a lifetime, not a home (STYLE 19): document numbers, names, birth dates, MRZ
// text and itineraries live in a SecretString for one decision and are zeroised when it ends —
// when the value is destroyed, cleared, assigned over or moved from. It never converts to a
// std::string by itself: view() hands out a view for the one place that needs the bytes (the
// lookup request, a check digit), and that place must not copy it into anything that outlives it.

#include <cstddef>
#include <string>
#include <string_view>

namespace sentinel {

// Overwrites `n` bytes at `p` with zeros in a way the optimiser may not drop.
void secureZero(void* p, std::size_t n);

class SecretString {
public:
    SecretString() = default;
    explicit SecretString(std::string_view s) : s_(s) {}
    SecretString(const SecretString& o) : s_(o.s_) {}
    SecretString(SecretString&& o) noexcept : s_(o.s_) { o.wipe(); }
    SecretString& operator=(const SecretString& o) {
        if (this != &o) assign(o.s_);
        return *this;
    }
    SecretString& operator=(SecretString&& o) noexcept {
        if (this != &o) {
            assign(o.s_);
            o.wipe();
        }
        return *this;
    }
    ~SecretString() { wipe(); }

    void assign(std::string_view s) {
        wipe();
        s_.reserve(s.size());  // wiped above; a reallocation leaves no copy behind
        s_.assign(s);
    }
    void append(std::string_view s) {
        if (s_.size() + s.size() > s_.capacity()) {
            std::string grown;
            grown.reserve(2 * (s_.size() + s.size()));
            grown.assign(s_);
            wipe();
            s_.swap(grown);
        }
        s_.append(s);
    }
    // Zeroises the bytes (the whole capacity) and empties the string.
    void wipe() noexcept;

    std::string_view view() const { return s_; }
    bool empty() const { return s_.empty(); }
    std::size_t size() const { return s_.size(); }
    bool operator==(const SecretString& o) const { return s_ == o.s_; }

private:
    std::string s_;
};

}  // namespace sentinel
