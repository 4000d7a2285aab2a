import '../../../../runtime/web/src/styles.css';
import '../../../src/modeler/modeler.css';
import './page.css';
import { blankProcessXml, createWorkflowModeler, type Problem } from '../../../src/modeler/index.ts';

/**
 * A page with the modeler alone, as the web app will mount it: the test drives it through
 * `window.modeler` and the compile check of the test server.
 */
const byId = (id: string) => document.getElementById(id)!;

const modeler = createWorkflowModeler(byId('canvas'), {
  propertiesParent: byId('properties'),
  problemsParent: byId('problems'),
  forms: () => [
    { key: 'weighing', version: 2, title: 'Weigh the API' },
    { key: 'line-clearance', version: 1, title: 'Line clearance' },
  ],
  templates: () => [{ id: 'capa', title: 'CAPA' }],
  roles: () => ['operator', 'qa', 'qa-head'],
  check: async (xml) => {
    const response = await fetch('/check', {
      method: 'POST',
      body: xml,
      headers: { 'content-type': 'application/xml' },
    });
    if (!response.ok) throw new Error(`check answered ${response.status}`);
    return (await response.json()) as Problem[];
  },
});
const page = globalThis as unknown as { modeler: typeof modeler; changes: number };
page.modeler = modeler;
page.changes = 0;
modeler.on('changed', () => (page.changes += 1));
await modeler.importXml(blankProcessXml('weighing', 'Weigh the API'));
document.body.dataset['ready'] = 'true';
