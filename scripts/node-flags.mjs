// The Node/V8 flags every policywatch process is launched with: the one definition. V8 reads them
// only at launch (v8.setFlagsFromString cannot resize a heap that exists), so each launcher states
// them verbatim: bin/policywatch.mjs's shebang (the npm-linked `policywatch` command), npm start,
// the Dockerfile CMD and docker-compose.yml's commands and healthcheck, and the benches' measured
// children. test/unit/deploy-files.test.ts fails when one of them differs from this list.
//
// --max-semi-space-size=32: Node 24 lets each of V8's two young-generation semi-spaces grow to
// 64 MiB (128 MiB held once a burst of allocation has grown them). Capped at 32 MiB, the IAMTrail
// history import peaks at ≤ 562 MiB instead of up to 697 MiB and the dataset import at ≤ 544 MiB
// instead of up to 647 MiB (goal for both: 600 MB = 572 MiB), at the same CPU; the HTTP API
// measured no difference beyond the noise. 16 MiB (Node 20's default) left the dataset import at up to 595 MiB.
// bench/README.md has the A/B ("Node flags" in the HTTP API section, and the IAMTrail section).
export const NODE_FLAGS = ['--max-semi-space-size=32'];
