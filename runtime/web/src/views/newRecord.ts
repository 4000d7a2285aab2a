import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { Problem, request } from '../api.ts';
import { onAsync } from '../events.ts';

interface TemplateVersion {
  templateId: string;
  version: string;
  title: string;
  description: string;
}

/** Starts a record from an effective template, e.g. reporting a deviation (D2). */
export async function newRecordView(container: HTMLElement): Promise<void> {
  const { templates } = await request<{ templates: TemplateVersion[] }>(
    'GET',
    '/api/templates?status=effective',
  );
  if (templates.length === 0) {
    show(container, h('h1', {}, t('new.title')), h('p', { class: 'empty' }, t('new.none')));
    return;
  }
  const choices = templates.map((tv, i) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'template', value: tv.templateId, checked: i === 0 }),
      h(
        'span',
        {},
        h('strong', {}, `${tv.title} · ${t('common.version', { version: tv.version })}`),
        h('small', {}, tv.description),
      ),
    ),
  );
  const title = h('input', { id: 'record-title', type: 'text', required: true, maxlength: '200' });
  const message = h('p', { class: 'message', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('new.submit'));
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('fieldset', {}, h('legend', {}, t('new.template')), ...choices),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'record-title' }, t('new.recordTitle')),
      title,
      h('small', {}, t('new.titleHint')),
    ),
    message,
    submit,
  );
  onAsync(form, 'submit', async (event) => {
    event.preventDefault();
    const template = (form.querySelector('input[name=template]:checked') as HTMLInputElement | null)?.value;
    submit.disabled = true;
    message.hidden = true;
    try {
      const record = await request<{ number: string }>('POST', '/api/records', {
        template,
        title: title.value,
      });
      message.className = 'message success';
      message.textContent = t('new.started', { number: record.number });
      title.value = '';
    } catch (error) {
      message.className = 'message error';
      message.textContent =
        error instanceof Problem
          ? error.errors.map((e) => e.message).join('; ') || error.detail
          : String(error);
    } finally {
      message.hidden = false;
      submit.disabled = false;
    }
  });
  show(container, h('h1', {}, t('new.title')), form);
}
