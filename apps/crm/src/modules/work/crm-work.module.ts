import { Module } from '@nestjs/common';

/** The agent's working tools in the crm service: tasks, companies, saved replies and tag definitions. */
@Module({
  imports: [],
  controllers: [],
  providers: [],
})
export class CrmWorkModule {}
