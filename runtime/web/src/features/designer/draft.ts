import { Problem } from '../../api.ts';
import { api, type Schemas } from '../../api/client.ts';

/** A package problem as a draft save reports it: where in the package, and why. */
export type PackageProblem = Schemas['TemplateDraft']['problems'][number];

/** The draft being edited: its files as they are here, and what the server last said of them. */
export interface DraftState {
  templateId: string;
  version: string;
  status: Schemas['TemplateDraft']['status'];
  /** The content hash of the draft as last loaded or saved: the base of the next save. */
  hash: string | null;
  files: Record<string, string>;
  compiles: boolean;
  problems: PackageProblem[];
}

export type SaveStatus =
  | { kind: 'saved' }
  | { kind: 'dirty' }
  | { kind: 'saving' }
  | { kind: 'conflict'; message: string }
  | { kind: 'failed'; message: string };

/** Opens a version's files for editing. */
export async function openDraft(templateId: string, version: string): Promise<DraftState> {
  const path = { templateId, version };
  const [files, view] = await Promise.all([
    api.get('/api/templates/{templateId}/versions/{version}/files', { path }),
    api.get('/api/templates/{templateId}/versions/{version}', { path }),
  ]);
  return {
    templateId,
    version,
    status: files.status,
    hash: files.contentHash,
    files: files.files,
    compiles: view.compiles,
    problems: [],
  };
}

/**
 * Saves drafts as the designer works: a change waits `delayMs` for the next, then the files go to
 * the server on the hash they were based on. Someone else's save in between is a conflict the
 * person resolves by reloading (theirs) — nothing is overwritten silently. One save at a time.
 */
export function autosave(
  draft: DraftState,
  onStatus: (status: SaveStatus, draft: DraftState) => void,
  delayMs = 1500,
) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let saving: Promise<void> | null = null;
  /** Changed since the files last went out. */
  let dirty = false;
  /** A change arrived while a save was out: another save follows it. */
  let pending = false;
  let stopped = false;

  function save(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (saving) {
      pending = true;
      return saving;
    }
    dirty = false;
    onStatus({ kind: 'saving' }, draft);
    saving = api
      .put('/api/templates/{templateId}/versions/{version}/draft', {
        path: { templateId: draft.templateId, version: draft.version },
        body: { files: { ...draft.files }, baseHash: draft.hash },
      })
      .then((saved) => {
        draft.hash = saved.contentHash;
        draft.status = saved.status;
        draft.compiles = saved.compiles;
        draft.problems = saved.problems;
        onStatus(dirty ? { kind: 'dirty' } : { kind: 'saved' }, draft);
      })
      .catch((error: unknown) => {
        stopped = error instanceof Problem && error.status === 409;
        const message = error instanceof Error ? error.message : String(error);
        onStatus(stopped ? { kind: 'conflict', message } : { kind: 'failed', message }, draft);
      })
      .finally(() => {
        saving = null;
        if (pending) {
          pending = false;
          void save();
        }
      });
    return saving;
  }

  return {
    /** A file changed: saved after a pause. */
    changed(path: string, text: string): void {
      if (stopped || draft.files[path] === text) return;
      draft.files[path] = text;
      dirty = true;
      onStatus({ kind: 'dirty' }, draft);
      clearTimeout(timer);
      timer = setTimeout(() => void save(), delayMs);
    },
    /** Saves now (before submitting, or leaving). */
    async flush(): Promise<void> {
      clearTimeout(timer);
      while (saving) await saving;
      if (dirty) await save();
      while (saving) await saving;
    },
    /** Nothing waits to be saved, and the last save went through. */
    settled: () => !dirty && !saving && !stopped,
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
