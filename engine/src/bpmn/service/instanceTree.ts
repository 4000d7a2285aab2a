/**
 * The instances a record's process runs in: its own and those it called that are not records of
 * their own. One parameter: the record's instance.
 */
export const INSTANCE_TREE = `WITH RECURSIVE tree AS (SELECT id FROM process_instances WHERE id = ?
    UNION ALL SELECT c.id FROM process_instances c JOIN tree ON c.parent_instance_id = tree.id
      WHERE NOT EXISTS (SELECT 1 FROM records x WHERE x.instance_id = c.id))
  SELECT id FROM tree`;

/**
 * The instance whose tree holds an instance: the nearest of it and its callers that runs a record,
 * else the outermost. One parameter: the instance.
 */
export const TREE_ROOT = `WITH RECURSIVE up AS (
    SELECT id, parent_instance_id, 0 AS depth FROM process_instances WHERE id = ?
    UNION ALL SELECT p.id, p.parent_instance_id, up.depth + 1 FROM process_instances p
      JOIN up ON p.id = up.parent_instance_id
      WHERE NOT EXISTS (SELECT 1 FROM records x WHERE x.instance_id = up.id))
  SELECT id FROM up ORDER BY depth DESC LIMIT 1`;
