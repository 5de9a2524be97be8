;; The search loop of src/match/search.ts (findOverlapping without collapseRepeats), in WebAssembly,
;; counting matches instead of recording them: a measurement of what a WASM kernel would gain over
;; the JIT-compiled loop, run by bench/wasm-kernel.ts. Tables are copied into linear memory at the
;; byte offsets passed to init (classOf u16, the rest i32, laid out as in src/match/automaton.ts).
(module
  (memory (export "mem") 1)
  (global $classOf (mut i32) (i32.const 0))
  (global $rootNext (mut i32) (i32.const 0))
  (global $pairs (mut i32) (i32.const 0))
  (global $starts (mut i32) (i32.const 0))
  (global $base (mut i32) (i32.const 0))
  (global $check (mut i32) (i32.const 0))
  (global $outState (mut i32) (i32.const 0))
  (global $fail (mut i32) (i32.const 0))
  (global $outNext (mut i32) (i32.const 0))
  (global $stride (mut i32) (i32.const 0))
  (global $mask (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  (func (export "init") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (global.set $classOf (local.get 0)) (global.set $rootNext (local.get 1)) (global.set $pairs (local.get 2))
    (global.set $starts (local.get 3)) (global.set $base (local.get 4)) (global.set $check (local.get 5))
    (global.set $outState (local.get 6)) (global.set $fail (local.get 7)) (global.set $outNext (local.get 8))
    (global.set $stride (local.get 9)) (global.set $mask (local.get 10)))
  (func $step (param $s i32) (param $c i32) (result i32)
    (local $b i32) (local $u i32)
    (if (i32.eqz (local.get $c)) (then (return (i32.const 0))))
    (block $done
      (loop $walk
        (if (i32.eqz (local.get $s)) (then
          (local.set $s (i32.load (i32.add (global.get $rootNext) (i32.shl (local.get $c) (i32.const 2)))))
          (br $done)))
        (local.set $b (i32.add (i32.load (i32.add (global.get $base) (i32.shl (local.get $s) (i32.const 2)))) (local.get $c)))
        (if (i32.eq (i32.load (i32.add (global.get $check) (i32.shl (local.get $b) (i32.const 2)))) (local.get $s)) (then
          (local.set $s (local.get $b)) (br $done)))
        (local.set $s (i32.load (i32.add (global.get $fail) (i32.shl (local.get $s) (i32.const 2)))))
        (br $walk)))
    (local.set $u (i32.load (i32.add (global.get $outState) (i32.shl (local.get $s) (i32.const 2)))))
    (block $out (loop $emit
      (br_if $out (i32.lt_s (local.get $u) (i32.const 0)))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (local.set $u (i32.load (i32.add (global.get $outNext) (i32.shl (local.get $u) (i32.const 2)))))
      (br $emit)))
    (local.get $s))
  (func (export "search") (param $p i32) (param $len i32) (result i32)
    (local $end i32) (local $code i32) (local $c i32) (local $pc i32) (local $s i32) (local $pair i32) (local $from i32) (local $t i32)
    (local.set $s (i32.const -1))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $len) (i32.const 1))))
    (block $exit (loop $next
      (br_if $exit (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $code (i32.load16_u (local.get $p)))
      (local.set $c (i32.load16_u (i32.add (global.get $classOf) (i32.shl (local.get $code) (i32.const 1)))))
      (local.set $pair (i32.and (i32.add (i32.mul (local.get $pc) (global.get $stride)) (local.get $c)) (global.get $mask)))
      (local.set $from (local.get $s))
      (if (i32.lt_s (local.get $s) (i32.const 0))
        (then
          (if (i32.and (i32.shr_u (i32.load (i32.add (global.get $starts) (i32.shl (i32.shr_u (local.get $pair) (i32.const 5)) (i32.const 2)))) (local.get $pair)) (i32.const 1))
            (then (local.set $from (i32.load (i32.add (global.get $rootNext) (i32.shl (local.get $pc) (i32.const 2))))))))
        (else
          (if (i32.eqz (i32.and (i32.shr_u (i32.load (i32.add (global.get $pairs) (i32.shl (i32.shr_u (local.get $pair) (i32.const 5)) (i32.const 2)))) (local.get $pair)) (i32.const 1)))
            (then (local.set $from (i32.const -1))))))
      (if (i32.ge_s (local.get $from) (i32.const 0))
        (then
          (local.set $t (i32.add (i32.load (i32.add (global.get $base) (i32.shl (local.get $from) (i32.const 2)))) (local.get $c)))
          (if (i32.and
                (i32.eq (i32.load (i32.add (global.get $check) (i32.shl (local.get $t) (i32.const 2)))) (local.get $from))
                (i32.lt_s (i32.load (i32.add (global.get $outState) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 0)))
            (then (local.set $s (local.get $t)))
            (else
              (local.set $s (call $step (local.get $from) (local.get $c)))
              (if (i32.eq (local.get $s) (i32.load (i32.add (global.get $rootNext) (i32.shl (local.get $c) (i32.const 2)))))
                (then (local.set $s (i32.const -1)))))))
        (else (local.set $s (i32.const -1))))
      (local.set $pc (local.get $c))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br $next)))
    (global.get $count))
  (func (export "reset") (global.set $count (i32.const 0)))
)
