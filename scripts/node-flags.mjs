// The Node/V8 flags every policywatch process is launched with: the one definition. V8 reads them
// only at launch (v8.setFlagsFromString cannot resize a heap that exists), so each launcher states
// them verbatim: bin/policywatch.mjs's shebang (the npm-linked `policywatch` command), npm start,
// the Dockerfile CMD and docker-compose.yml's commands and healthcheck, and the benches' measured
// children. test/unit/deploy-files.test.ts fails when one of them differs from this list.
//
// --max-semi-space-size=16: Node 24 lets each of V8's two young-generation semi-spaces grow to
// 64 MiB (128 MiB committed once a burst of allocation has grown them). Capped at 16 MiB, the
// IAMTrail history import peaks at 459–488 MiB instead of 548–697 MiB (goal ≤ 572 MiB) at the
// same CPU, and the HTTP API and the dataset import cost the same (bench/README.md has the A/B).
export const NODE_FLAGS = ['--max-semi-space-size=16'];
