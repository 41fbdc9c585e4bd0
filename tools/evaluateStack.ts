/**
 * Evaluates one stack in a fresh Node process (Pulumi's runtime state is global, so one process
 * evaluates one program) and returns what the mock engine recorded.
 *
 *   node --import tsx tools/evaluateStack.ts <options-json> <result-file>   (child side)
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { evaluateInProcess, PROJECT_DIR, type EvaluateOptions, type Evaluation } from "./mockEngine";

/** Runs the program for one stack in a child process. */
export async function evaluateStack(options: EvaluateOptions): Promise<Evaluation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kong-eval-"));
  const resultFile = path.join(dir, "result.json");
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--import", "tsx", path.join(__dirname, "evaluateStack.ts"), JSON.stringify(options), resultFile],
        { cwd: PROJECT_DIR, maxBuffer: 64 * 1024 * 1024 },
        (err, _stdout, stderr) => {
          if (err && !fs.existsSync(resultFile)) reject(new Error(`evaluating stack ${options.stack} failed: ${stderr || err.message}`));
          else resolve();
        },
      );
    });
    return JSON.parse(fs.readFileSync(resultFile, "utf8")) as Evaluation;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [optionsJson, resultFile] = process.argv.slice(2);
  if (!optionsJson || !resultFile) {
    console.error("usage: evaluateStack.ts <options-json> <result-file>");
    process.exit(2);
  }
  evaluateInProcess(JSON.parse(optionsJson) as EvaluateOptions).then(
    (evaluation) => {
      fs.writeFileSync(resultFile, JSON.stringify(evaluation));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
