// Virtual dispatch through several levels of subclassing, as a filter built on the ABI's
// RootContext / StreamContext relies on (the dispatcher holds every context as its base type).
// AssemblyScript up to 0.27.24 called the middle class's method for an object of a class that
// inherits an override from two levels down (AssemblyScript issue #2819, fixed by pull request
// #2822 in 0.27.25); these cases pin the behaviour of the compiler the project builds with.
import { RootContext } from "../context";

class A {
  f(a: i32): i32 {
    return a + 1;
  }
}
class B extends A {
  f(a: i32): i32 {
    return super.f(a) + 10;
  }
}
class C extends B {
  f(a: i32): i32 {
    return super.f(a) + 100;
  }
}
/** Inherits C's override (the shape of issue #2819). */
class D extends C {}

class Level2Root extends RootContext {
  onTick(): void {
    ticks += 10;
  }
  onDone(): bool {
    return false;
  }
}
class Level3Root extends Level2Root {
  onTick(): void {
    ticks += 100;
    super.onTick();
  }
}
class Level4Root extends Level3Root {}
let ticks: i32 = 0;

describe("virtual dispatch through several levels of overriding", () => {
  it("calls the deepest override through the base type, with super chains", () => {
    const c: A = new C();
    const d: A = new D();
    expect(c.f(0)).toBe(111);
    expect(d.f(0)).toBe(111, "an inherited override (issue #2819)");
    const viaB: B = new D();
    expect(viaB.f(1)).toBe(112);
  });

  it("calls a third-level override of a context callback held as a RootContext", () => {
    const roots = new Map<u32, RootContext>();
    roots.set(1, new Level3Root(1));
    roots.set(2, new Level4Root(2));
    roots.set(3, new RootContext(3));
    ticks = 0;
    roots.get(1).onTick();
    expect(ticks).toBe(110);
    ticks = 0;
    roots.get(2).onTick();
    expect(ticks).toBe(110, "inherited from the third level");
    expect(roots.get(2).onDone()).toBe(false, "the second level's override");
    expect(roots.get(3).onDone()).toBe(true);
  });
});
