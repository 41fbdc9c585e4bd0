/**
 * Entry point the Pulumi CLI loads for `--policy-pack policy`: serves the pack to the engine.
 * The stack's name and config come from the environment the CLI gives policy packs
 * (see environment.ts); the policies themselves live in policies.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { readPackEnvironment } from "./environment";
import { PACK_NAME, packArgs } from "./pack";

new PolicyPack(PACK_NAME, packArgs(readPackEnvironment()));
