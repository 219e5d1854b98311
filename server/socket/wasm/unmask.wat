;; RFC 6455 §5.3 unmasking with WebAssembly SIMD: the source of server/socket/wasm/unmask-wasm.ts
;; (rebuild with `npm run build:wasm`; test/server/wasm-unmasker.test.ts checks the bytes match).
;;
;; A module can only touch its own linear memory, so the caller copies a block of payload in at
;; address 0, calls $unmask, and copies the result out (server/socket/wasm/wasm-unmasker.ts).
;; One 64 KiB page holds the largest block the caller uses.
(module
  (memory (export "memory") 1)

  ;; XOR the $length bytes at $start with $key: the 4 key bytes packed little-endian, rotated so
  ;; that its low byte masks $start (the caller handles the payload offset).
  (func (export "unmask") (param $start i32) (param $length i32) (param $key i32)
    (local $at i32) (local $end i32) (local $keyVector v128)
    (local.set $at (local.get $start))
    (local.set $end (i32.add (local.get $start) (local.get $length)))
    (local.set $keyVector (i32x4.splat (local.get $key)))
    ;; 64 bytes per iteration: four 16-byte lanes (unrolled; the loop branch is the cost here).
    (block $done64
      (loop $by64
        (br_if $done64 (i32.lt_s (i32.sub (local.get $end) (local.get $at)) (i32.const 64)))
        (v128.store offset=0 (local.get $at) (v128.xor (v128.load offset=0 (local.get $at)) (local.get $keyVector)))
        (v128.store offset=16 (local.get $at) (v128.xor (v128.load offset=16 (local.get $at)) (local.get $keyVector)))
        (v128.store offset=32 (local.get $at) (v128.xor (v128.load offset=32 (local.get $at)) (local.get $keyVector)))
        (v128.store offset=48 (local.get $at) (v128.xor (v128.load offset=48 (local.get $at)) (local.get $keyVector)))
        (local.set $at (i32.add (local.get $at) (i32.const 64)))
        (br $by64)))
    (block $done16
      (loop $by16
        (br_if $done16 (i32.lt_s (i32.sub (local.get $end) (local.get $at)) (i32.const 16)))
        (v128.store (local.get $at) (v128.xor (v128.load (local.get $at)) (local.get $keyVector)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $by16)))
    ;; The tail, a byte at a time: the low key byte masks the next byte, then the key rotates.
    (block $done1
      (loop $by1
        (br_if $done1 (i32.ge_u (local.get $at) (local.get $end)))
        (i32.store8 (local.get $at) (i32.xor (i32.load8_u (local.get $at)) (local.get $key)))
        (local.set $key (i32.rotr (local.get $key) (i32.const 8)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $by1)))))
