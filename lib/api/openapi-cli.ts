// `npm run openapi`: prints the OpenAPI 3.1 document (pipe it to a file or a viewer).
import { openApiDocument } from './openapi.js';

process.stdout.write(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
