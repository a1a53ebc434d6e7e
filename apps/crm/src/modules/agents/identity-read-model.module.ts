import { Module } from '@nestjs/common';
import { AgentDirectory } from './agent-directory.service';
import { IdentityReadModelConsumer } from './identity-read-model.consumer';

/**
 * The local read model of identity's users and teams (`org_user`), fed by `identity.events`.
 * Imports no crm module. Exports `AgentDirectory` (checks that ask identity for a user the read
 * model does not know yet: read-your-writes); others read the table directly.
 */
@Module({
  providers: [IdentityReadModelConsumer, AgentDirectory],
  exports: [AgentDirectory],
})
export class IdentityReadModelModule {}
