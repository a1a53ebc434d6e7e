import { Module } from '@nestjs/common';
import { IdentityReadModelConsumer } from './identity-read-model.consumer';

/** The local read model of identity's users and teams (`org_user`), fed by `identity.events`. Imports no crm module; exports nothing (others read the table). */
@Module({
  providers: [IdentityReadModelConsumer],
})
export class IdentityReadModelModule {}
