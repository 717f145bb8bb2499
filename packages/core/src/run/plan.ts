import { didYouMean } from '../config/suggest.js';
import { UsageError } from '../errors.js';
import type { StageDefinition } from '../stage.js';

export interface PlanRequest {
  /** Stages the user asked for (`--stages` or config `stages`); default every registered stage. */
  stages?: readonly string[];
  /** Rerun this stage and everything downstream of it. */
  from?: string;
  /** Where `stages` came from, for messages (`--stages`, `configs/x.yaml: stages`). */
  stagesSource?: string;
}

export interface PlannedStage {
  definition: StageDefinition;
  /** Rerun even when a finished output with the same key exists. */
  forced: boolean;
  /** Asked for, as opposed to pulled in because a requested stage needs it. */
  requested: boolean;
}

/** Registered stages in dependency order (registry order where the graph allows). Throws on cycles or unknown `needs`. */
export function orderStages(registry: readonly StageDefinition[]): StageDefinition[] {
  const byName = new Map<string, StageDefinition>();
  for (const stage of registry) {
    if (byName.has(stage.name)) throw new Error(`stage "${stage.name}" is registered twice`);
    byName.set(stage.name, stage);
  }
  for (const stage of registry) {
    for (const need of stage.needs) {
      if (!byName.has(need))
        throw new Error(`stage "${stage.name}" needs "${need}", which is not registered`);
    }
  }
  const ordered: StageDefinition[] = [];
  const done = new Set<string>();
  while (ordered.length < registry.length) {
    const next = registry.find((s) => !done.has(s.name) && s.needs.every((n) => done.has(n)));
    if (!next)
      throw new Error(
        `stage graph has a cycle among ${registry
          .filter((s) => !done.has(s.name))
          .map((s) => s.name)
          .join(', ')}`,
      );
    ordered.push(next);
    done.add(next.name);
  }
  return ordered;
}

function checkName(name: string, known: string[], source: string): void {
  if (known.includes(name)) return;
  const guess = didYouMean(name, known);
  throw new UsageError(`unknown stage "${name}"${guess ? `; did you mean "${guess}"?` : ''}`, {
    where: source,
    hint: known.length ? `stages: ${known.join(', ')}` : 'no stages are registered',
  });
}

/** The stages to visit, in order: the requested ones plus everything upstream they need. */
export function planStages(registry: readonly StageDefinition[], request: PlanRequest = {}): PlannedStage[] {
  const ordered = orderStages(registry);
  const known = ordered.map((s) => s.name);
  const byName = new Map(ordered.map((s) => [s.name, s]));
  for (const name of request.stages ?? []) checkName(name, known, request.stagesSource ?? '--stages');
  if (request.from !== undefined) checkName(request.from, known, '--from');

  const downstreamOf = (root: string): Set<string> => {
    const found = new Set([root]);
    for (const stage of ordered) if (stage.needs.some((n) => found.has(n))) found.add(stage.name);
    return found;
  };
  const forced = request.from !== undefined ? downstreamOf(request.from) : new Set<string>();
  let requested = new Set(request.stages ?? known);
  if (request.from !== undefined) requested = new Set([...requested].filter((name) => forced.has(name)));

  const included = new Set<string>();
  const include = (name: string) => {
    if (included.has(name)) return;
    included.add(name);
    for (const need of byName.get(name)!.needs) include(need);
  };
  for (const name of requested) include(name);
  return ordered
    .filter((s) => included.has(s.name))
    .map((definition) => ({
      definition,
      forced: forced.has(definition.name),
      requested: requested.has(definition.name),
    }));
}
