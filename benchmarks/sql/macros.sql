-- Deterministic pseudo-random numbers for the data generator.
--
-- bench_mix32 is a 32-bit integer hash (the "lowbias32" mixer): a bijection on
-- [0, 2^32) with good avalanche. bench_u(i, stream) is a uniform draw in [0, 1)
-- for row i; each stream number gives an independent sequence and the seed
-- variable shifts every stream. Plain integer arithmetic, so the same seed
-- gives the same data on every DuckDB version and thread count.

CREATE OR REPLACE MACRO bench_m1(x) AS
    (xor(x, x >> 16) * 2146120493::UBIGINT) % 4294967296::UBIGINT;

CREATE OR REPLACE MACRO bench_m2(x) AS
    (xor(x, x >> 15) * 2221713035::UBIGINT) % 4294967296::UBIGINT;

CREATE OR REPLACE MACRO bench_mix32(x) AS
    xor(bench_m2(bench_m1(x)), bench_m2(bench_m1(x)) >> 16);

CREATE OR REPLACE MACRO bench_u(i, stream) AS
    bench_mix32(
        (bench_mix32((i % 4294967296)::UBIGINT)
            + (stream * 2654435769)::UBIGINT
            + (getvariable('seed') * 40503)::UBIGINT) % 4294967296::UBIGINT
    ) / 4294967296.0;

-- An approximately standard normal draw: the sum of four uniforms, rescaled.
CREATE OR REPLACE MACRO bench_normal(i, stream) AS
    (bench_u(i, stream) + bench_u(i, stream + 1000) + bench_u(i, stream + 2000)
        + bench_u(i, stream + 3000) - 2.0) * sqrt(3.0);

-- One element of a list, chosen by a uniform draw u in [0, 1).
CREATE OR REPLACE MACRO bench_pick(items, u) AS
    items[1 + floor(u * len(items))::BIGINT];
