#include "rendezvous/key_space.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

using namespace dlaunch::rendezvous;

namespace {

// Records how a waiter ended: 0 = pending, 1 = released, -1 = aborted.
struct Probe {
  int state = 0;
  Wake wake() {
    return [this](bool released) { state = released ? 1 : -1; };
  }
};

}  // namespace

TEST_CASE("key space: ADD keeps decimal strings, missing counts as 0, non-numbers refused") {
  KeySpace space;
  CHECK(space.add("c", 3) == 3);
  CHECK(space.add("c", -5) == -2);
  CHECK(space.get("c") == "-2");
  space.set("text", "abc");
  CHECK_FALSE(space.add("text", 1).has_value());
  space.set("padded", " 7xyz");  // std::stoll reads the leading number, as torch's servers do
  CHECK(space.add("padded", 1) == 8);
  CHECK(parse_counter("+4") == 4);
  CHECK_FALSE(parse_counter("").has_value());
  CHECK_FALSE(parse_counter("99999999999999999999").has_value());
}

TEST_CASE("key space: COMPARE_SET answers as torch does") {
  KeySpace space;
  CHECK(space.compare_set("cs", "", "new") == "new");  // missing, empty expected: created
  CHECK(space.get("cs") == "new");
  CHECK(space.compare_set("cs2", "x", "y") == "x");  // missing, non-empty expected: "lie"
  CHECK_FALSE(space.exists("cs2"));
  CHECK(space.compare_set("cs", "new", "newer") == "newer");  // equal: swapped
  CHECK(space.compare_set("cs", "wrong", "z") == "newer");    // differs: current value
}

TEST_CASE("key space: WAIT completes when every missing key has been written once") {
  KeySpace space;
  space.set("a", "1");
  Probe probe;
  CHECK(space.wait(1, {"a"}, probe.wake()) == 0);  // all there: answered at once
  CHECK(probe.state == 0);
  const auto id = space.wait(1, {"a", "b", "c", "c"}, probe.wake());
  CHECK(id != 0);
  space.set("b", "x");
  CHECK(probe.state == 0);
  space.set("b", "again");  // counted once
  CHECK(probe.state == 0);
  space.append("c", "z");
  CHECK(probe.state == 1);
  CHECK(space.waiter_count() == 0);
}

TEST_CASE("key space: DELETE_KEY wakes nobody, CHECK never registers") {
  KeySpace space;
  Probe probe;
  space.wait(1, {"k"}, probe.wake());
  space.set("other", "v");
  CHECK_FALSE(space.erase("k"));
  CHECK(probe.state == 0);
  CHECK_FALSE(space.check({"k"}));
  CHECK(space.waiter_count() == 1);
  CHECK(space.add("k", 1) == 1);  // ADD and COMPARE_SET creation wake too
  CHECK(probe.state == 1);
}

TEST_CASE("key space: cancel by client and by id leaves others waiting") {
  KeySpace space;
  Probe a, b, c;
  space.wait(1, {"k"}, a.wake());
  space.wait(2, {"k", "j"}, b.wake());
  const auto id = space.wait(3, {"k"}, c.wake());
  CHECK(space.cancel_waits(2) == 1);
  CHECK(space.cancel_wait(id) == 1);
  CHECK(space.cancel_wait(id) == 0);
  space.set("k", "v");
  space.set("j", "v");
  CHECK(a.state == 1);
  CHECK(b.state == 0);
  CHECK(c.state == 0);
}

TEST_CASE("key space: BARRIER releases everyone when the count is reached") {
  KeySpace space;
  Probe p1, p2, p3;
  const auto w1 = space.barrier(1, "bar", 3, p1.wake());
  const auto w2 = space.barrier(2, "bar", 3, p2.wake());
  REQUIRE(w1.has_value());
  CHECK(*w1 != 0);
  CHECK(p1.state == 0);
  CHECK(space.barrier(3, "bar", 3, p3.wake()) == 0);  // the last arrival is answered at once
  CHECK(p1.state == 1);
  CHECK(p2.state == 1);
  CHECK(p3.state == 0);
  CHECK(space.get("bar") == "3");
  space.set("t", "x");
  CHECK_FALSE(space.barrier(4, "t", 2, p3.wake()).has_value());
  (void)w2;
}

TEST_CASE("key space: queues, and a push wakes one waiter") {
  KeySpace space;
  Probe first, second;
  space.wait(1, {"q"}, first.wake());
  space.wait(2, {"q"}, second.wake());
  space.queue_push("q", "a");
  CHECK(first.state == 1);
  CHECK(second.state == 0);
  CHECK(space.check({"q"}));
  CHECK(space.num_keys() == 0);  // queues are not counted as keys
  space.queue_push("q", "b");
  CHECK(second.state == 1);
  CHECK(space.queue_len("q") == 2);
  CHECK(space.queue_pop("q") == "a");
  CHECK(space.queue_pop("q") == "b");
  CHECK_FALSE(space.queue_pop("q").has_value());
}

TEST_CASE("key space: clear wipes keys and queues and aborts every waiter") {
  KeySpace space;
  Probe probe;
  space.set("init/", "4");
  space.queue_push("q", "x");
  space.wait(1, {"missing"}, probe.wake());
  space.clear();
  CHECK(probe.state == -1);
  CHECK(space.num_keys() == 0);
  CHECK(space.queue_len("q") == 0);
  CHECK(space.list_keys().empty());
  CHECK(space.waiter_count() == 0);
}
