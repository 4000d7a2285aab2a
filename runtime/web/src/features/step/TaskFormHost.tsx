import type { TaskForm } from '@attest/task-form';
import { h } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import type { MutableRef } from 'preact/hooks';
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { RenderedTaskForm } from './renderer.ts';

/**
 * The step's form, drawn by formio.js into an element Preact leaves alone. A new contract (after a
 * save or a verification) draws the form again; the form drawn before is destroyed at once, in the
 * same update that shows the new state, so nobody types into a form about to go. `form` holds the
 * drawn form while there is one.
 */
export function TaskFormHost(props: { contract: TaskForm; form: MutableRef<RenderedTaskForm | null> }) {
  const host = useRef<HTMLDivElement>(null);
  const { contract, form } = props;
  useLayoutEffect(() => {
    const element = host.current!;
    let ended = false;
    let drawn: RenderedTaskForm | null = null;
    element.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
    import('./renderer.ts')
      .then(async ({ renderTaskForm }) => {
        if (ended) return;
        element.replaceChildren();
        drawn = await renderTaskForm(element, contract);
        if (ended) drawn.destroy();
        else form.current = drawn;
      })
      .catch(reportError);
    return () => {
      ended = true;
      if (form.current === drawn) form.current = null;
      drawn?.destroy();
      element.replaceChildren();
    };
  }, [contract]);
  return <div id="step-form" class="step-form" ref={host} />;
}
