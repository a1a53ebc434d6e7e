import { eventSchemaUrn, type CloudEvent, type EventDefinition } from '@keyhouse/contracts';
import { newId } from '@keyhouse/util';

/**
 * A CloudEvent of `definition` shaped as `OutboxService.buildEvent` builds them: new id and
 * subject (UUIDv7), `source` `keyhouse/<first segment of the type>`, `time` now, `dataschema`
 * with the definition's version, a `system` actor; `extra` overrides any attribute (`subject`,
 * `actortype`, `actorid`, `actorrole`, `requestid`, `id` to redeliver one). The `data` type is the
 * definition's, so a seeded read model gets the payload its consumer expects.
 */
export function testEvent<TData>(
  definition: EventDefinition<TData>,
  orgId: string,
  data: TData,
  extra: Partial<CloudEvent<TData>> = {},
): CloudEvent<TData> {
  return {
    specversion: '1.0',
    id: newId(),
    source: `keyhouse/${definition.type.split('.')[0]}`,
    type: definition.type,
    subject: newId(),
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschema: eventSchemaUrn(definition.type, definition.version),
    orgid: orgId,
    actortype: 'system',
    data,
    ...extra,
  };
}
