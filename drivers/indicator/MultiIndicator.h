#pragma once
// Several indicator backends driven together (e.g. GPIO lamps and the console log).

#include <memory>
#include <vector>

#include "drivers/hal/Indicator.h"

namespace sentinel::indicator {

class MultiIndicator final : public hal::Indicator {
public:
    void add(std::unique_ptr<hal::Indicator> backend) { backends_.push_back(std::move(backend)); }
    bool empty() const { return backends_.empty(); }
    void show(const hal::Indication& i) override {
        for (auto& b : backends_) b->show(i);
    }
    void shut() override {
        for (auto& b : backends_) b->shut();
    }
    void alarm(std::string_view m) override {
        for (auto& b : backends_) b->alarm(m);
    }

private:
    std::vector<std::unique_ptr<hal::Indicator>> backends_;
};

}  // namespace sentinel::indicator
