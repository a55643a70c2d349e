import { createSatu } from '@satu/sdk'; console.log(createSatu);
