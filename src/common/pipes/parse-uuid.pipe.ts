import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { isUuid } from '../validation/uuid.js';
import { requestValidationError } from './validation.pipe.js';

/** Path ids are UUIDs; anything else is a 400 naming the parameter, never a database error. */
@Injectable()
export class ParseUuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (isUuid(value)) return value.toLowerCase();
    throw requestValidationError([{ field: metadata.data ?? 'id', message: 'must be a UUID' }]);
  }
}
