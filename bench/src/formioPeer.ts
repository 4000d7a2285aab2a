import {
  interpolateErrors,
  processSync,
  ProcessTargets,
  type Component,
  type ProcessContext,
  type ValidationScope,
} from '@formio/core';

/**
 * The forms peer: a submission validated the way the open-source Form.io server (`formio`, the
 * v4 line on `@formio/core`) validates a POSTed submission. `Validator.validate` in the server's
 * `src/resources/Validator.js` builds a fresh context per request ({ form, submission, components,
 * data, scope: {}, config: { server: true, ... } }) and runs `ProcessTargets.submission` over it
 * (serverOverride, filter, serverDefaultValue, normalize, dereference, fetch, simple conditions,
 * server validation); it then hands the filtered data and the same scope to `@formio/vm`'s
 * `evaluateProcess`, which builds a second context ({ form, components, submission, data, scope,
 * config: { server: true } }) and runs `processSync` with `ProcessTargets.evaluator` (custom default
 * values, calculations, logic, conditions, clearHidden, the full client rule set). The errors left
 * in the scope go through `interpolateErrors`, which gives the messages the server answers with.
 *
 * Both passes run here in process and synchronously, with `processSync`: the processors and rules
 * that only exist asynchronously (fetch, dereference, unique, captcha, resource/URL selects) are
 * left out, and so are the isolate the server runs the second pass in and its component instance
 * shims, which only custom JavaScript reads.
 */
export interface FormioPeer {
  validate(data: Record<string, unknown>): { errors: { path: string; message: string }[] };
}

/** A peer validating submissions against `form`; the form itself is kept, as the server caches it. */
export function formioPeer(form: { components: unknown[] }): FormioPeer {
  const components = form.components as Component[];
  return {
    validate(data) {
      // The server works on the request body it has just parsed, never on the caller's object.
      const submission: { data: Record<string, unknown> } = { data: JSON.parse(JSON.stringify(data)) };
      const scope: ValidationScope = { errors: [] };

      const server = {
        form,
        submission,
        components,
        data: submission.data,
        processors: ProcessTargets.submission!,
        scope,
        config: { server: true },
      } satisfies ProcessContext<ValidationScope> & { config: Record<string, unknown> };
      processSync(server);
      // `processSync` swaps in the filtered data, as `process` does for the server.
      submission.data = server.data;

      const evaluator = {
        form,
        components,
        submission,
        data: submission.data,
        processors: ProcessTargets.evaluator!,
        scope,
        config: { server: true },
      } satisfies ProcessContext<ValidationScope> & { config: Record<string, unknown> };
      processSync(evaluator);

      const errors = interpolateErrors(scope.errors).map((error) => ({
        path: error.context.path,
        message: error.message,
      }));
      return { errors };
    },
  };
}
